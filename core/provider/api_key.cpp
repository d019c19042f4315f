#include "core/provider/api_key.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "core/error.hpp"

extern char** environ;

namespace weir {

namespace {

// A key is short; anything much longer is a misconfigured command, and we
// must not buffer a runaway one forever.
constexpr size_t kMaxCommandOutput = 64 * 1024;

struct CommandResult {
  int exit_status = 0;  // 128 + signal number when killed by a signal
  std::string output;
};

[[noreturn]] void fail_to_run(const ProviderConfig& config, const std::string& why) {
  throw Error(ErrorKind::authentication,
              "api_key_cmd for provider '" + config.name + "' could not be started: " + why);
}

// posix_spawn rather than popen: popen would hand the child our stdin (which
// is the MCP or serve protocol stream in some front doors), and fork() in a
// multi-threaded process is only safe when followed straight by exec, which
// posix_spawn guarantees.
CommandResult run_command(const ProviderConfig& config) {
  int pipe_ends[2];
  if (pipe2(pipe_ends, O_CLOEXEC) != 0) fail_to_run(config, std::strerror(errno));
  int read_end = pipe_ends[0];
  int write_end = pipe_ends[1];

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end, STDOUT_FILENO);

  std::string command = config.api_key_cmd;
  char shell[] = "/bin/sh";
  char flag[] = "-c";
  char* arguments[] = {shell, flag, command.data(), nullptr};
  pid_t child = 0;
  int spawn_error = posix_spawn(&child, shell, &actions, nullptr, arguments, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(write_end);
  if (spawn_error != 0) {
    close(read_end);
    fail_to_run(config, std::strerror(spawn_error));
  }

  CommandResult result;
  char buffer[4096];
  while (true) {
    ssize_t count = read(read_end, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;
    // Keep draining past the cap so the child never blocks on a full pipe.
    if (result.output.size() < kMaxCommandOutput)
      result.output.append(buffer, static_cast<size_t>(count));
  }
  close(read_end);

  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    result.exit_status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_status = 128 + WTERMSIG(status);
  return result;
}

std::string trim_trailing_whitespace(std::string text) {
  auto end = text.find_last_not_of(" \t\r\n\f\v");
  text.erase(end == std::string::npos ? 0 : end + 1);
  return text;
}

std::string key_from_command(const ProviderConfig& config) {
  // One lock for all commands: they run rarely (once each per process) and
  // holding it while the command runs is what keeps two threads from running
  // the same command twice.
  static std::mutex mutex;
  static std::map<std::string, std::string> keys_by_command;
  std::lock_guard lock(mutex);
  if (auto found = keys_by_command.find(config.api_key_cmd); found != keys_by_command.end())
    return found->second;
  CommandResult result = run_command(config);
  std::string key = trim_trailing_whitespace(std::move(result.output));
  if (result.exit_status != 0 || key.empty())
    throw Error(
        ErrorKind::authentication,
        "api_key_cmd for provider '" + config.name + "' " +
            (result.exit_status != 0 ? "failed (exit " + std::to_string(result.exit_status) + ")"
                                     : std::string("printed nothing")) +
            "; run it by hand to see why");
  keys_by_command.emplace(config.api_key_cmd, key);
  return key;
}

}  // namespace

std::optional<std::string> resolve_api_key(const ProviderConfig& config) {
  if (!config.api_key_env.empty()) {
    const char* value = std::getenv(config.api_key_env.c_str());
    if (value == nullptr || value[0] == '\0')
      throw Error(ErrorKind::authentication,
                  "provider '" + config.name + "' needs an API key in $" + config.api_key_env +
                      ", which is not set; export " + config.api_key_env +
                      "=... or change it with `weir provider add " + config.name +
                      " --api-key-env OTHER`");
    return std::string(value);
  }
  if (!config.api_key_cmd.empty()) return key_from_command(config);
  return std::nullopt;
}

std::string resolve_header_value(const ProviderConfig& config, const std::string& header, const std::string& value) {
  std::string resolved;
  size_t position = 0;
  while (position < value.size()) {
    size_t open = value.find("${", position);
    size_t close = open == std::string::npos ? std::string::npos : value.find('}', open + 2);
    if (close == std::string::npos) break;
    std::string variable = value.substr(open + 2, close - open - 2);
    bool is_name = !variable.empty() && !std::isdigit(static_cast<unsigned char>(variable.front())) &&
                   std::all_of(variable.begin(), variable.end(),
                               [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    resolved.append(value, position, open - position);
    if (!is_name) {
      resolved.append("${");
      position = open + 2;
      continue;
    }
    const char* variable_value = std::getenv(variable.c_str());
    if (variable_value == nullptr || variable_value[0] == '\0')
      throw Error(ErrorKind::authentication,
                  "provider '" + config.name + "' sends header " + header + " with $" + variable +
                      ", which is not set; export " + variable + "=... or change the header with `weir provider add " +
                      config.name + " --header '" + header + ": ...'`");
    resolved.append(variable_value);
    position = close + 1;
  }
  resolved.append(value, std::min(position, value.size()));
  return resolved;
}

std::string api_key_placeholder(const ProviderConfig& config) {
  if (!config.api_key_env.empty()) return "$" + config.api_key_env;
  if (!config.api_key_cmd.empty()) return "$(" + config.api_key_cmd + ")";
  return {};
}

}  // namespace weir
