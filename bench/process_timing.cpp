#include "bench/process_timing.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace weir::bench {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail_with_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int descriptor = -1) : descriptor_(descriptor) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&& other) noexcept : descriptor_(other.descriptor_) { other.descriptor_ = -1; }
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  int get() const { return descriptor_; }
  void reset() {
    if (descriptor_ >= 0) ::close(descriptor_);
    descriptor_ = -1;
  }

 private:
  int descriptor_;
};

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  void duplicate(int from, int to) {
    if (posix_spawn_file_actions_adddup2(&actions_, from, to) != 0) fail_with_errno("posix_spawn_file_actions_adddup2");
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// posix_spawn wants mutable char pointers; keeping them beside their strings
// lets a command be spawned many times without rebuilding them inside the
// timed region.
struct PreparedCommand {
  std::string name;
  std::vector<std::string> arguments;
  std::vector<char*> argument_pointers;

  explicit PreparedCommand(const Command& command) : name(command.name), arguments(command.arguments) {
    if (arguments.empty()) throw std::invalid_argument("command '" + name + "' has no arguments");
    for (auto& argument : arguments) argument_pointers.push_back(argument.data());
    argument_pointers.push_back(nullptr);
  }
  PreparedCommand(const PreparedCommand&) = delete;
  PreparedCommand& operator=(const PreparedCommand&) = delete;
};

FileDescriptor open_null(int flags) {
  FileDescriptor null_device(::open("/dev/null", flags | O_CLOEXEC));
  if (null_device.get() < 0) fail_with_errno("open /dev/null");
  return null_device;
}

pid_t spawn(const std::vector<char*>& argument_pointers, const SpawnActions& actions) {
  pid_t child = -1;
  int result = posix_spawn(&child, argument_pointers[0], actions.get(), nullptr, argument_pointers.data(), environ);
  if (result != 0) {
    errno = result;
    fail_with_errno(std::string("posix_spawn ") + argument_pointers[0]);
  }
  return child;
}

int reap(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) fail_with_errno("waitpid");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// A pidfd becomes readable when the child exits, which lets a plain poll()
// bound the wait without a signal handler or a busy loop. It is opened with
// the raw system call because glibc 2.36's <sys/pidfd.h> declares the wrapper
// without C linkage, so C++ code cannot link to it.
FileDescriptor open_process_descriptor(pid_t child) {
  FileDescriptor process(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
  if (process.get() < 0) {
    int saved = errno;
    ::kill(child, SIGKILL);
    reap(child);
    errno = saved;
    fail_with_errno("pidfd_open");
  }
  return process;
}

[[noreturn]] void kill_for_timeout(pid_t child, const std::vector<std::string>& arguments,
                                   std::chrono::milliseconds timeout) {
  ::kill(child, SIGKILL);
  reap(child);
  throw std::runtime_error("timed out after " + std::to_string(timeout.count()) + " ms: " + shell_line(arguments));
}

int wait_within(pid_t child, const std::vector<std::string>& arguments, std::chrono::milliseconds timeout) {
  FileDescriptor process = open_process_descriptor(child);
  pollfd watched{process.get(), POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&watched, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) fail_with_errno("poll");
  if (ready == 0) kill_for_timeout(child, arguments, timeout);
  return reap(child);
}

double percentile(const std::vector<double>& sorted, double fraction) {
  // Linear interpolation between the two nearest ranks, so p99 of 300 runs
  // is not just whichever single run happened to land on rank 297.
  double rank = fraction * static_cast<double>(sorted.size() - 1);
  auto lower = static_cast<size_t>(std::floor(rank));
  auto upper = std::min(lower + 1, sorted.size() - 1);
  double weight = rank - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * weight;
}

int parse_count(const std::string& option, const char* text, int minimum) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < minimum || value > 1'000'000) {
    std::cerr << option << " takes a whole number from " << minimum << ", got '" << text << "'\n";
    std::exit(2);
  }
  return static_cast<int>(value);
}

}  // namespace

Options parse_options(int argc, char** argv, const std::string& description, Options defaults) {
  Options options = std::move(defaults);
  auto usage = [&](std::ostream& stream) {
    stream << description << "\n\nusage: " << argv[0] << " [--weir PATH] [--iterations N] [--warmups N]\n"
           << "  --weir PATH     the weir binary (default: " << options.weir << ")\n"
           << "  --iterations N  timed runs of each command (default: " << options.iterations << ")\n"
           << "  --warmups N     untimed runs of each command first (default: " << options.warmups << ")\n";
  };
  for (int index = 1; index < argc; ++index) {
    std::string option = argv[index];
    if (option == "--help" || option == "-h") {
      usage(std::cout);
      std::exit(0);
    }
    if (index + 1 >= argc || (option != "--weir" && option != "--iterations" && option != "--warmups")) {
      usage(std::cerr);
      std::exit(2);
    }
    const char* value = argv[++index];
    if (option == "--weir")
      options.weir = value;
    else if (option == "--iterations")
      options.iterations = parse_count(option, value, 1);
    else
      options.warmups = parse_count(option, value, 0);
  }
  return options;
}

std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* search_path = std::getenv("PATH");
  std::string directories = search_path ? search_path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= directories.size()) {
    size_t end = directories.find(':', start);
    if (end == std::string::npos) end = directories.size();
    std::string directory = directories.substr(start, end - start);
    if (directory.empty()) directory = ".";
    std::string candidate = directory + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error("'" + name + "' was not found on $PATH");
}

CapturedRun run_capturing(const std::vector<std::string>& arguments, std::chrono::milliseconds timeout) {
  PreparedCommand command(Command{"captured", arguments});
  int output_pipe[2];
  int error_pipe[2];
  if (::pipe2(output_pipe, O_CLOEXEC) != 0) fail_with_errno("pipe2");
  FileDescriptor output_read(output_pipe[0]), output_write(output_pipe[1]);
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) fail_with_errno("pipe2");
  FileDescriptor error_read(error_pipe[0]), error_write(error_pipe[1]);
  FileDescriptor null_input = open_null(O_RDONLY);

  SpawnActions actions;
  actions.duplicate(null_input.get(), 0);
  actions.duplicate(output_write.get(), 1);
  actions.duplicate(error_write.get(), 2);
  pid_t child = spawn(command.argument_pointers, actions);
  // Only the child may hold the write ends, or the reads below never see EOF.
  output_write.reset();
  error_write.reset();

  CapturedRun result;
  auto deadline = Clock::now() + timeout;
  pollfd watched[2] = {{output_read.get(), POLLIN, 0}, {error_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.standard_output, &result.standard_error};
  int open_streams = 2;
  char buffer[16384];
  while (open_streams > 0) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) kill_for_timeout(child, arguments, timeout);
    int ready = ::poll(watched, 2, static_cast<int>(remaining.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) fail_with_errno("poll");
    for (int stream = 0; stream < 2; ++stream) {
      if (watched[stream].fd < 0 || watched[stream].revents == 0) continue;
      ssize_t count = ::read(watched[stream].fd, buffer, sizeof buffer);
      if (count > 0) {
        sinks[stream]->append(buffer, static_cast<size_t>(count));
      } else if (count == 0 || errno != EINTR) {
        watched[stream].fd = -1;  // poll() skips negative descriptors
        --open_streams;
      }
    }
  }
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  result.exit_code = wait_within(child, arguments, std::max(remaining, std::chrono::milliseconds(1)));
  return result;
}

std::map<std::string, std::vector<double>> measure_interleaved(const std::vector<Command>& commands, int warmups,
                                                               int iterations, std::chrono::milliseconds timeout) {
  std::vector<std::unique_ptr<PreparedCommand>> prepared;
  for (const auto& command : commands) prepared.push_back(std::make_unique<PreparedCommand>(command));
  FileDescriptor null_input = open_null(O_RDONLY);
  FileDescriptor null_output = open_null(O_WRONLY);
  SpawnActions actions;
  actions.duplicate(null_input.get(), 0);
  actions.duplicate(null_output.get(), 1);
  actions.duplicate(null_output.get(), 2);

  std::map<std::string, std::vector<double>> samples;
  for (const auto& command : prepared) samples[command->name].reserve(static_cast<size_t>(iterations));

  const size_t count = prepared.size();
  for (int round = 0; round < warmups + iterations; ++round) {
    for (size_t step = 0; step < count; ++step) {
      const PreparedCommand& command = *prepared[(static_cast<size_t>(round) + step) % count];
      auto started = Clock::now();
      pid_t child = spawn(command.argument_pointers, actions);
      int exit_code = wait_within(child, command.arguments, timeout);
      auto finished = Clock::now();
      if (exit_code != 0) {
        // The timed run threw its output away; run it again to say why.
        CapturedRun again = run_capturing(command.arguments, timeout);
        throw std::runtime_error(command.name + " exited with " + std::to_string(exit_code) + ": " +
                                 shell_line(command.arguments) + "\n" + again.standard_error);
      }
      if (round >= warmups)
        samples[command.name].push_back(std::chrono::duration<double, std::milli>(finished - started).count());
    }
  }
  return samples;
}

Summary summarize(std::vector<double> samples_ms) {
  Summary summary;
  if (samples_ms.empty()) return summary;
  std::sort(samples_ms.begin(), samples_ms.end());
  summary.runs = samples_ms.size();
  summary.median_ms = percentile(samples_ms, 0.5);
  summary.p90_ms = percentile(samples_ms, 0.9);
  summary.p99_ms = percentile(samples_ms, 0.99);
  summary.mean_ms = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0) / static_cast<double>(samples_ms.size());
  summary.min_ms = samples_ms.front();
  summary.max_ms = samples_ms.back();
  return summary;
}

json to_json(const Summary& summary) {
  return {{"runs", summary.runs},
          {"median_ms", round_ms(summary.median_ms)},
          {"p90_ms", round_ms(summary.p90_ms)},
          {"p99_ms", round_ms(summary.p99_ms)},
          {"mean_ms", round_ms(summary.mean_ms)},
          {"min_ms", round_ms(summary.min_ms)},
          {"max_ms", round_ms(summary.max_ms)}};
}

std::string shell_line(const std::vector<std::string>& arguments) {
  std::string line;
  for (const auto& argument : arguments) {
    if (!line.empty()) line += ' ';
    bool plain = !argument.empty() && argument.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") ==
                                          std::string::npos;
    if (plain) {
      line += argument;
      continue;
    }
    line += '\'';
    for (char letter : argument) line += letter == '\'' ? std::string("'\\''") : std::string(1, letter);
    line += '\'';
  }
  return line;
}

double round_ms(double milliseconds) { return std::round(milliseconds * 1000.0) / 1000.0; }

}  // namespace weir::bench
