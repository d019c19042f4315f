#include "tests/support/mcp_session.hpp"
#include "tests/support/child_exit.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace weir::testing {

using json = nlohmann::json;

McpSession::McpSession(const WeirHome& home, const std::vector<std::string>& serve_arguments) {
  std::vector<std::string> arguments = {WEIR_BINARY, "--home", home.path(), "mcp", "serve"};
  arguments.insert(arguments.end(), serve_arguments.begin(), serve_arguments.end());
  auto child = spawn_with_pipes(arguments, home.environment);
  pid_ = child.pid;
  in_fd_ = child.stdin_fd;
  out_fd_ = child.stdout_fd;
  err_fd_ = child.stderr_fd;

  out_reader_ = std::thread([this] {
    std::string buffer;
    char chunk[65536];
    while (true) {
      auto count = read(out_fd_, chunk, sizeof chunk);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) break;
      buffer.append(chunk, static_cast<size_t>(count));
      size_t newline;
      while ((newline = buffer.find('\n')) != std::string::npos) {
        auto line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        auto message = json::parse(line, nullptr, false);
        std::lock_guard lock(mutex_);
        if (message.is_discarded())
          invalid_lines_.push_back(line);
        else
          messages_.push_back(std::move(message));
        arrived_.notify_all();
      }
    }
    std::lock_guard lock(mutex_);
    if (!buffer.empty()) invalid_lines_.push_back(buffer);
    arrived_.notify_all();
  });
  err_reader_ = std::thread([this] {
    char chunk[4096];
    while (true) {
      auto count = read(err_fd_, chunk, sizeof chunk);
      if (count < 0 && errno == EINTR) continue;
      if (count <= 0) break;
      std::lock_guard lock(mutex_);
      err_.append(chunk, static_cast<size_t>(count));
      arrived_.notify_all();
    }
  });
}

McpSession::~McpSession() {
  close_input();
  if (wait_exit(std::chrono::seconds(10)) < 0) {
    kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void McpSession::send(const json& message) { send_raw(message.dump() + "\n"); }

void McpSession::send_raw(const std::string& bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    auto count = write(in_fd_, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) throw std::runtime_error("the server's stdin is closed");
    written += static_cast<size_t>(count);
  }
}

void McpSession::close_input() {
  if (in_fd_ >= 0) close(in_fd_);
  in_fd_ = -1;
}

json McpSession::request(const std::string& method, const json& params, const json& id,
                         std::chrono::milliseconds timeout) {
  json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = params;
  send(message);
  auto answer = response(id, timeout);
  if (!answer) throw std::runtime_error("no response to " + method + " within the timeout; stderr: " + standard_error());
  return *answer;
}

json McpSession::initialize(const std::string& version) {
  auto answer = request("initialize",
                        {{"protocolVersion", version},
                         {"capabilities", json::object()},
                         {"clientInfo", {{"name", "weir-tests"}, {"version", "1"}}}},
                        "init");
  send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  return answer.value("result", json());
}

std::optional<json> McpSession::wait_for(const std::function<bool(const json&)>& matches,
                                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;
  while (true) {
    for (; checked < messages_.size(); ++checked)
      if (matches(messages_[checked])) return messages_[checked];
    if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; checked < messages_.size(); ++checked)
        if (matches(messages_[checked])) return messages_[checked];
      return std::nullopt;
    }
  }
}

std::optional<json> McpSession::response(const json& id, std::chrono::milliseconds timeout) {
  return wait_for(
      [&id](const json& message) {
        return message.contains("id") && message["id"] == id && (message.contains("result") || message.contains("error"));
      },
      timeout);
}

std::vector<json> McpSession::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<std::string> McpSession::invalid_lines() const {
  std::lock_guard lock(mutex_);
  return invalid_lines_;
}

int McpSession::wait_exit(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  auto exit_code = wait_for_child_exit(pid_, timeout);
  if (!exit_code) return -1;
  exited_ = true;
  exit_code_ = *exit_code;
  return exit_code_;
}

bool McpSession::wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return err_.find(needle) != std::string::npos; });
}

std::string McpSession::standard_error() const {
  std::lock_guard lock(mutex_);
  return err_;
}

}  // namespace weir::testing
