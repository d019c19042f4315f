#include "mcp/protocol/stdio_client_transport.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/line_reader.hpp"

extern char** environ;

namespace weir::mcp::protocol {

namespace {

constexpr size_t kMaxMessageBytes = 64u << 20;  // one tools/call result may carry images
constexpr size_t kMaxLogLineBytes = 64u << 10;

void close_descriptor(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Whether `child` has exited (not reaped: WNOWAIT) within `milliseconds`,
// watched through a pidfd so no time is spent polling.
// A server gets this long to exit after SIGTERM before its group is killed.
constexpr int kExitGraceMs = 2000;

bool exits_within(pid_t child, int milliseconds) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  if (pidfd < 0) return false;  // an old kernel: the caller kills at once
  pollfd watch{pidfd, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&watch, 1, milliseconds);
  } while (ready < 0 && errno == EINTR);
  ::close(pidfd);
  return ready > 0;
}

// The parent's environment with `overrides` ("NAME=VALUE") replacing or adding.
std::vector<std::string> child_environment(const std::vector<std::string>& overrides) {
  std::map<std::string, std::string> entries;
  std::vector<std::string> order;
  auto put = [&](const std::string& entry) {
    auto name = entry.substr(0, entry.find('='));
    if (entries.find(name) == entries.end()) order.push_back(name);
    entries[name] = entry;
  };
  for (char** variable = environ; variable != nullptr && *variable != nullptr; ++variable) put(*variable);
  for (const auto& entry : overrides) put(entry);
  std::vector<std::string> result;
  for (const auto& name : order) result.push_back(entries[name]);
  return result;
}

}  // namespace

StdioClientTransport::StdioClientTransport(StdioServerCommand command, LogLine log_line)
    : command_(std::move(command)), log_line_(std::move(log_line)) {}

StdioClientTransport::~StdioClientTransport() { close(); }

std::string StdioClientTransport::describe() const { return "command '" + command_.command + "'"; }

void StdioClientTransport::start(MessageHandler on_message, ClosedHandler on_closed) {
  // A server that exits while weir writes to it must be an error return, not
  // a SIGPIPE that ends weir.
  ::signal(SIGPIPE, SIG_IGN);
  int input[2], output[2], errors[2];
  if (::pipe2(input, O_CLOEXEC) != 0) throw TransportError("cannot create a pipe: " + std::string(std::strerror(errno)));
  if (::pipe2(output, O_CLOEXEC) != 0) {
    ::close(input[0]);
    ::close(input[1]);
    throw TransportError("cannot create a pipe: " + std::string(std::strerror(errno)));
  }
  if (::pipe2(errors, O_CLOEXEC) != 0) {
    for (int fd : {input[0], input[1], output[0], output[1]}) ::close(fd);
    throw TransportError("cannot create a pipe: " + std::string(std::strerror(errno)));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input[0], 0);
  posix_spawn_file_actions_adddup2(&actions, output[1], 1);
  posix_spawn_file_actions_adddup2(&actions, errors[1], 2);
  if (!command_.working_directory.empty())
    posix_spawn_file_actions_addchdir_np(&actions, command_.working_directory.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> arguments = {command_.command};
  arguments.insert(arguments.end(), command_.args.begin(), command_.args.end());
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  auto environment = child_environment(command_.environment);
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int status = ::posix_spawnp(&child_, command_.command.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  for (int fd : {input[0], output[1], errors[1]}) ::close(fd);
  if (status != 0) {
    for (int fd : {input[1], output[0], errors[0]}) ::close(fd);
    child_ = -1;
    throw TransportError("cannot start the MCP server command '" + command_.command + "': " + std::strerror(status) +
                         "; check the command and its working directory");
  }
  to_server_ = input[1];
  from_server_ = output[0];
  server_errors_ = errors[0];
  message_reader_ = std::thread([this, on_message = std::move(on_message), on_closed = std::move(on_closed)] {
    read_messages(on_message, on_closed);
  });
  error_reader_ = std::thread([this] { read_errors(); });
}

void StdioClientTransport::read_messages(MessageHandler on_message, ClosedHandler on_closed) {
  LineReader reader(from_server_, kMaxMessageBytes);
  for (;;) {
    auto line = reader.next();
    if (line.status == LineReader::Status::end) break;
    if (line.status == LineReader::Status::too_large) {
      if (log_line_) log_line_("weir: dropped a message of " + std::to_string(line.bytes) + " bytes from the server");
      continue;
    }
    auto text = read_message_text(line.text);
    if (text.error_code != 0) {
      if (log_line_) log_line_("weir: the server wrote a line that is not JSON-RPC: " + line.text.substr(0, 200));
      continue;
    }
    on_message(text.value);
  }
  // Whatever was written may have been read before the server went: no
  // request is known to be undelivered.
  if (!closing_) on_closed("the MCP server " + describe() + " closed its output (it exited or crashed)", nullptr);
}

void StdioClientTransport::read_errors() {
  LineReader reader(server_errors_, kMaxLogLineBytes);
  for (;;) {
    auto line = reader.next();
    if (line.status == LineReader::Status::end) return;
    if (line.status == LineReader::Status::line && log_line_) log_line_(line.text);
  }
}

void StdioClientTransport::send(const nlohmann::json& message) {
  std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(write_mutex_);
  if (to_server_ < 0) throw TransportError("the MCP server " + describe() + " is not running");
  size_t written = 0;
  while (written < text.size()) {
    ssize_t count = ::write(to_server_, text.data() + written, text.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0)
      throw TransportError("cannot write to the MCP server " + describe() + ": " + std::strerror(errno) +
                           " (it exited or crashed)");
    written += static_cast<size_t>(count);
  }
}

void StdioClientTransport::close() {
  std::lock_guard close_lock(close_mutex_);
  if (child_ < 0) return;
  closing_ = true;
  // Signal before taking the write lock: a send() blocked on a full pipe (a
  // server that stopped reading) holds it, and fails with EPIPE once the
  // server is gone.
  ::kill(-child_, SIGTERM);
  if (!exits_within(child_, kExitGraceMs)) ::kill(-child_, SIGKILL);
  // The group is killed while its leader is not yet reaped (so the group id
  // cannot have been reused): anything the server left behind in it would
  // hold our pipes open.
  ::kill(-child_, SIGKILL);
  int status = 0;
  while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
  }
  child_ = -1;
  {
    std::lock_guard lock(write_mutex_);
    close_descriptor(to_server_);
  }
  if (message_reader_.joinable()) message_reader_.join();
  if (error_reader_.joinable()) error_reader_.join();
  close_descriptor(from_server_);
  close_descriptor(server_errors_);
}

}  // namespace weir::mcp::protocol
