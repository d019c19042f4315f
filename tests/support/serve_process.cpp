#include "tests/support/serve_process.hpp"
#include "tests/support/child_exit.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cctype>
#include <stdexcept>

namespace weir::testing {

ServeProcess::ServeProcess(const WeirHome& home, const std::vector<std::string>& extra_arguments,
                           const std::vector<std::string>& command_prefix) {
  std::vector<std::string> arguments = command_prefix;
  for (const auto& part : {std::string(WEIR_BINARY), std::string("--home"), home.path(), std::string("serve"),
                           std::string("--port"), std::string("0")})
    arguments.push_back(part);
  arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
  auto child = spawn_with_pipes(arguments, home.environment);
  pid_ = child.pid;
  ::close(child.stdin_fd);
  ::close(child.stdout_fd);
  int stderr_fd = child.stderr_fd;

  // Read stderr until the "listening" line, then keep draining it on a thread.
  std::string text;
  const std::string marker = "listening on http://";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    auto at = text.find(marker);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      auto line = text.substr(at + marker.size());
      port_ = std::stoi(line.substr(line.rfind(':', line.find('\n')) + 1));
      break;
    }
    pollfd wait_for{stderr_fd, POLLIN, 0};
    if (std::chrono::steady_clock::now() > deadline || ::poll(&wait_for, 1, 1000) < 0) break;
    char buffer[4096];
    auto got = ::read(stderr_fd, buffer, sizeof buffer);
    if (got <= 0 && wait_for.revents) break;
    if (got > 0) text.append(buffer, static_cast<size_t>(got));
  }
  stderr_ = text;
  stderr_reader_ = std::thread([this, stderr_fd] {
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(stderr_fd, buffer, sizeof buffer)) > 0) {
      std::lock_guard lock(mutex_);
      stderr_.append(buffer, static_cast<size_t>(got));
      stderr_grew_.notify_all();
    }
    ::close(stderr_fd);
  });
  if (port_ == 0) {
    ::kill(pid_, SIGKILL);
    wait();
    throw std::runtime_error("weir serve did not start: " + stderr_text());
  }
}

ServeProcess::~ServeProcess() {
  if (!exited_) {
    ::kill(pid_, SIGTERM);
    if (wait(std::chrono::seconds(30)) < 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  if (stderr_reader_.joinable()) stderr_reader_.join();
}

void ServeProcess::send_signal(int signal_number) { ::kill(pid_, signal_number); }

int ServeProcess::wait(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  auto exit_code = wait_for_child_exit(pid_, timeout);
  if (!exit_code) return -1;
  exited_ = true;
  exit_code_ = *exit_code;
  return exit_code_;
}

std::string ServeProcess::stderr_text() {
  std::lock_guard lock(mutex_);
  return stderr_;
}

bool ServeProcess::wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return stderr_grew_.wait_for(lock, timeout, [&] { return stderr_.find(needle) != std::string::npos; });
}

std::string HttpReply::header(const std::string& name) const {
  auto found = headers.find(name);
  return found == headers.end() ? std::string() : found->second;
}

namespace {

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto wrote = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0) return;  // the server may close early (413): read what it said
    sent += static_cast<size_t>(wrote);
  }
}

std::string dechunk(const std::string& body) {
  std::string result;
  size_t at = 0;
  while (at < body.size()) {
    auto line_end = body.find("\r\n", at);
    if (line_end == std::string::npos) break;
    auto size = std::stoul(body.substr(at, line_end - at), nullptr, 16);
    if (size == 0) break;
    result += body.substr(line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return result;
}

}  // namespace

HttpReply parse_http_reply(const std::string& raw) {
  HttpReply reply;
  reply.raw = raw;
  auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  size_t at = raw.find("\r\n") + 2;
  while (at < head_end) {
    auto end = raw.find("\r\n", at);
    auto line = raw.substr(at, end - at);
    auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    reply.headers[name] = value;
    at = end + 2;
  }
  auto body = raw.substr(head_end + 4);
  reply.body = reply.header("transfer-encoding") == "chunked" ? dechunk(body) : body;
  return reply;
}

HttpReply http_raw(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  RawConnection connection(port);
  connection.send(bytes);
  connection.read_until("\x01never\x02", timeout);
  return parse_http_reply(connection.received());
}

HttpReply http_request(int port, const std::string& method, const std::string& path, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
    if (name == "Content-Type") has_type = true;
  }
  if (!body.empty() && !has_type) request += "Content-Type: application/json\r\n";
  if (method != "GET" || !body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  return http_raw(port, request);
}

RawConnection::RawConnection(int port) : fd_(connect_loopback(port)) {}

RawConnection::~RawConnection() { close(); }

void RawConnection::send(const std::string& bytes) { send_all(fd_, bytes); }

bool RawConnection::read_until(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received_.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd wait_for{fd_, POLLIN, 0};
    if (::poll(&wait_for, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[8192];
    auto got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    received_.append(buffer, static_cast<size_t>(got));
  }
  return true;
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> payloads;
  size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    if (at != 0 && body[at - 1] != '\n') {
      at += 6;
      continue;
    }
    auto end = body.find("\n\n", at);
    payloads.push_back(body.substr(at + 6, end - at - 6));
    at = end == std::string::npos ? body.size() : end;
  }
  return payloads;
}

HttpReply post_chat(int port, const nlohmann::json& body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  return http_request(port, "POST", "/v1/chat/completions", body.dump(), headers);
}

nlohmann::json body_json(const HttpReply& reply) {
  auto parsed = nlohmann::json::parse(reply.body, nullptr, false);
  INFO(reply.raw);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

}  // namespace weir::testing
