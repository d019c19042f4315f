#include "tests/support/weir_process.hpp"
#include "tests/support/child_exit.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

extern char** environ;

namespace weir::testing {

namespace {
void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}
}  // namespace

ChildCommand::ChildCommand(const std::vector<std::string>& arguments,
                           const std::map<std::string, std::string>& environment)
    : argument_text_(arguments) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry; ++entry) {
    std::string text(*entry);
    auto equals = text.find('=');
    if (equals != std::string::npos) merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  merged.erase("WEIR_HOME");
  merged["NO_COLOR"] = "1";
  for (const auto& [key, value] : environment) merged[key] = value;
  for (const auto& [key, value] : merged) environment_text_.push_back(key + "=" + value);
  for (auto& entry : environment_text_) environment_pointers_.push_back(entry.data());
  environment_pointers_.push_back(nullptr);
  for (auto& argument : argument_text_) argument_pointers_.push_back(argument.data());
  argument_pointers_.push_back(nullptr);
}

SpawnedChild spawn_with_pipes(const std::vector<std::string>& arguments,
                              const std::map<std::string, std::string>& environment,
                              const std::string& working_directory) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    throw std::runtime_error("pipe failed");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!working_directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());

  ChildCommand command(arguments, environment);
  SpawnedChild child;
  int spawned = posix_spawn(&child.pid, command.argv()[0], &actions, nullptr, command.argv(), command.envp());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawned != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("cannot start " + arguments[0]);
  }
  child.stdin_fd = in_pipe[1];
  child.stdout_fd = out_pipe[0];
  child.stderr_fd = err_pipe[0];
  return child;
}

WeirProcess::WeirProcess(const std::vector<std::string>& arguments, const std::string& input,
                         const std::map<std::string, std::string>& environment,
                         const std::string& working_directory) {
  auto child = spawn_with_pipes(arguments, environment, working_directory);
  pid_ = child.pid;
  out_fd_ = child.stdout_fd;
  err_fd_ = child.stderr_fd;
  int in_fd = child.stdin_fd;
  std::string to_write = input;
  reader_ = std::thread([this, in_fd, to_write]() mutable {
    // Feed stdin and drain stdout/stderr together so neither side blocks.
    int stdin_fd = in_fd;
    size_t written = 0;
    if (to_write.empty()) close_fd(stdin_fd);
    else fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {stdin_fd, POLLOUT, 0}};
      if (poll(fds, 3, 1000) < 0) continue;
      char buffer[65536];
      for (int index = 0; index < 2; ++index) {
        if (fds[index].fd < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t got = read(fds[index].fd, buffer, sizeof buffer);
        if (got > 0) {
          {
            std::lock_guard lock(output_mutex_);
            (index == 0 ? out_ : err_).append(buffer, static_cast<size_t>(got));
          }
          if (index == 0) output_changed_.notify_all();
        } else {
          close_fd(index == 0 ? out_fd_ : err_fd_);
        }
      }
      if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t put = write(stdin_fd, to_write.data() + written, to_write.size() - written);
        if (put > 0) written += static_cast<size_t>(put);
        if (put < 0 || written == to_write.size()) close_fd(stdin_fd);
      }
    }
    close_fd(stdin_fd);
    {
      std::lock_guard lock(output_mutex_);
      output_closed_ = true;
    }
    output_changed_.notify_all();
  });
}

bool WeirProcess::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(output_mutex_);
  output_changed_.wait_for(lock, timeout, [&] { return output_closed_ || out_.find(text) != std::string::npos; });
  return out_.find(text) != std::string::npos;
}

WeirProcess::~WeirProcess() {
  if (!waited_) {
    send_signal(SIGKILL);
    wait(std::chrono::seconds(5));
  }
}

void WeirProcess::send_signal(int signal_number) {
  if (pid_ > 0 && !waited_) kill(pid_, signal_number);
}

ProcessResult WeirProcess::wait(std::chrono::milliseconds timeout) {
  if (waited_) return result_;
  auto exit_code = wait_for_child_exit(pid_, timeout);
  if (!exit_code) {
    result_.timed_out = true;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (reader_.joinable()) reader_.join();
  waited_ = true;
  result_.exit_code = *exit_code;
  result_.out = out_;
  result_.err = err_;
  return result_;
}

WeirHome::WeirHome() {
  char pattern[] = "/tmp/weir-test-XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

WeirHome::~WeirHome() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> WeirHome::full_arguments(const std::vector<std::string>& arguments) const {
  std::vector<std::string> full = {WEIR_BINARY, "--home", path_};
  full.insert(full.end(), arguments.begin(), arguments.end());
  return full;
}

ProcessResult WeirHome::run(const std::vector<std::string>& arguments, const std::string& input,
                            std::chrono::milliseconds timeout) const {
  WeirProcess process(full_arguments(arguments), input, environment, working_directory);
  return process.wait(timeout);
}

std::unique_ptr<WeirProcess> WeirHome::start(const std::vector<std::string>& arguments,
                                             const std::string& input) const {
  return std::make_unique<WeirProcess>(full_arguments(arguments), input, environment, working_directory);
}

}  // namespace weir::testing
