// StdioClientTransport — an MCP server run as a child process: JSON-RPC
// messages one per line on its stdin and stdout (the MCP stdio transport).
//
// Contract: start() spawns `command` (looked up on PATH) with `args`, the
// parent's environment plus `environment` ("NAME=VALUE" entries, which win),
// in `working_directory` when given, in its own process group (a Ctrl-C at the
// terminal reaches weir, which then decides). A command that cannot be
// started is TransportError naming it. Its stderr never reaches weir's
// output: each line goes to `log_line` (the caller writes it to a log file).
// Lines on stdout that are not JSON-RPC are reported to `log_line` and
// skipped. close() closes the server's stdin, ends its process group
// (SIGTERM, then SIGKILL once it is reaped) and joins the reader threads.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcp/protocol/client_transport.hpp"

namespace weir::mcp::protocol {

struct StdioServerCommand {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::string> environment;  // "NAME=VALUE"
  std::string working_directory;         // empty: the current one
};

class StdioClientTransport final : public ClientTransport {
 public:
  using LogLine = std::function<void(const std::string& line)>;
  StdioClientTransport(StdioServerCommand command, LogLine log_line);
  ~StdioClientTransport() override;

  void start(MessageHandler on_message, ClosedHandler on_closed) override;
  void send(const nlohmann::json& message) override;
  void close() override;
  std::string describe() const override;

  pid_t process_id() const noexcept { return child_; }

 private:
  void read_messages(MessageHandler on_message, ClosedHandler on_closed);
  void read_errors();

  StdioServerCommand command_;
  LogLine log_line_;
  pid_t child_ = -1;
  int to_server_ = -1;     // the server's stdin
  int from_server_ = -1;   // its stdout
  int server_errors_ = -1; // its stderr
  std::mutex write_mutex_;
  std::mutex close_mutex_;
  std::atomic<bool> closing_{false};
  std::thread message_reader_;
  std::thread error_reader_;
};

}  // namespace weir::mcp::protocol
