// Drives a live `weir mcp serve` the way an MCP client does: JSON-RPC lines
// written to its stdin whenever the test likes, every line of its stdout
// collected by a reader thread, and waits with timeouts (a hung server fails
// the test, it never hangs the suite).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/weir_process.hpp"

namespace weir::testing {

class McpSession {
 public:
  // Runs `weir --home HOME mcp serve ARGUMENTS...` with HOME's environment.
  McpSession(const WeirHome& home, const std::vector<std::string>& serve_arguments);
  ~McpSession();
  McpSession(const McpSession&) = delete;
  McpSession& operator=(const McpSession&) = delete;

  void send(const nlohmann::json& message);
  void send_raw(const std::string& bytes);  // exactly these bytes
  void close_input();

  // Sends a request and waits for the response with its id.
  nlohmann::json request(const std::string& method, const nlohmann::json& params, const nlohmann::json& id,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends initialize (and notifications/initialized); returns the result.
  nlohmann::json initialize(const std::string& version = "2025-11-25");

  // The first message (in arrival order) matching, waiting for it to arrive.
  std::optional<nlohmann::json> wait_for(const std::function<bool(const nlohmann::json&)>& matches,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::optional<nlohmann::json> response(const nlohmann::json& id,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::vector<nlohmann::json> messages() const;
  std::vector<std::string> invalid_lines() const;  // stdout lines that were not JSON (must stay empty)

  // Waits for the process to exit; -1 on timeout. 128 + signal when killed.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string standard_error() const;
  // Waits until stderr holds `needle`; false after the timeout.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::thread out_reader_;
  std::thread err_reader_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<nlohmann::json> messages_;
  std::vector<std::string> invalid_lines_;
  std::string err_;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace weir::testing
