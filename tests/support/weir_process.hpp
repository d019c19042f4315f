// Runs the built `weir` binary as a subprocess, as a user's shell would.
//
// A WeirHome is a fresh temporary --home (removed at destruction) so tests
// never share state. run() feeds standard input, captures stdout and stderr
// separately, and kills the process if it outlives the timeout (a hung weir
// fails the test instead of hanging the suite). start() returns a live
// process for tests that must act while it runs (send SIGINT mid-stream).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weir::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

// The argv and envp of a child weir: the caller's environment minus
// WEIR_HOME, plus NO_COLOR=1 and `environment`. Built before a fork, so the
// child only reads them; the pointers point into this object.
class ChildCommand {
 public:
  ChildCommand(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& environment);
  ChildCommand(const ChildCommand&) = delete;
  ChildCommand& operator=(const ChildCommand&) = delete;
  char* const* argv() { return argument_pointers_.data(); }
  char* const* envp() { return environment_pointers_.data(); }

 private:
  std::vector<std::string> argument_text_, environment_text_;
  std::vector<char*> argument_pointers_, environment_pointers_;
};

// A started child whose standard input, output and error are pipes.
struct SpawnedChild {
  pid_t pid = -1;
  int stdin_fd = -1;   // write end
  int stdout_fd = -1;  // read end
  int stderr_fd = -1;  // read end
};
// Starts arguments[0] with the caller's environment minus WEIR_HOME, plus
// NO_COLOR=1 and `environment`, in `working_directory` (empty: the caller's).
// Throws std::runtime_error if it cannot.
SpawnedChild spawn_with_pipes(const std::vector<std::string>& arguments,
                              const std::map<std::string, std::string>& environment,
                              const std::string& working_directory = "");

class WeirProcess {
 public:
  WeirProcess(const std::vector<std::string>& arguments, const std::string& input,
              const std::map<std::string, std::string>& environment, const std::string& working_directory = "");
  ~WeirProcess();
  WeirProcess(const WeirProcess&) = delete;
  WeirProcess& operator=(const WeirProcess&) = delete;

  void send_signal(int signal_number);
  // True once the process's standard output holds `text`; false if it
  // closed without it or the timeout passed first.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Generous: the sanitizer build runs several times slower than release.
  ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(180));

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::thread reader_;
  // out_ grows on the reader thread while a test may wait for a line of it.
  std::mutex output_mutex_;
  std::condition_variable output_changed_;
  bool output_closed_ = false;
  std::string out_, err_;
  bool waited_ = false;
  ProcessResult result_;
};

class WeirHome {
 public:
  WeirHome();
  ~WeirHome();
  WeirHome(const WeirHome&) = delete;
  WeirHome& operator=(const WeirHome&) = delete;

  const std::string& path() const { return path_; }
  // Environment added to every run (e.g. API key variables).
  std::map<std::string, std::string> environment;
  // Where runs start (empty: the test's own directory), for what depends on it (relative paths).
  std::string working_directory;

  ProcessResult run(const std::vector<std::string>& arguments, const std::string& input = "",
                    std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
  std::unique_ptr<WeirProcess> start(const std::vector<std::string>& arguments, const std::string& input = "") const;

 private:
  std::vector<std::string> full_arguments(const std::vector<std::string>& arguments) const;
  std::string path_;
};

}  // namespace weir::testing
