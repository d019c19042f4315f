// StdioServer — an MCP server over newline-delimited JSON-RPC 2.0 on a pair of
// file descriptors (stdin/stdout): the stdio transport on top of one Session
// (session.hpp has the protocol itself).
//
// Transport rules: a line the JSON input policy refuses (syntax, a number
// too large for a double, invalid UTF-8, a key given twice) is -32700 with a
// null id; a message over the size limit is answered with -32600 (id null)
// and skipped; JSON nested deeper than kMaxJsonDepth is -32600. The server
// keeps reading after each. Every answer and notification goes to
// stdout, one message per line. At end of input serve() waits for the calls
// in flight, sends their answers, and returns. Diagnostics go to stderr only.
// When the tools can change (set_tools() with a holder that can), each change
// is announced with notifications/tools/list_changed on stdout, written like
// every other message (whole lines, never interleaved).
#pragma once

#include <functional>
#include <memory>

#include "mcp/protocol/session.hpp"
#include "mcp/protocol/tool_set.hpp"
#include "mcp/protocol/tool_set_holder.hpp"

namespace weir::mcp::protocol {

struct StdioOptions {
  size_t max_message_bytes = 10 * 1024 * 1024;
  size_t max_calls_in_flight = 32;  // more are answered with an isError result
  std::function<void(const FinishedCall&)> on_call_finished;  // see SessionOptions
};

class StdioServer {
 public:
  explicit StdioServer(ServerInfo info, StdioOptions options = {});
  StdioServer(const StdioServer&) = delete;
  StdioServer& operator=(const StdioServer&) = delete;

  // The tools to offer; fill before serve().
  ToolSet& tools() { return *tools_; }
  // Or tools that may change while serving; replaces what tools() holds.
  void set_tools(std::shared_ptr<ToolSetHolder> tools) { holder_ = std::move(tools); }

  // Reads until end of input; returns once every call in flight has answered.
  void serve(int input_fd, int output_fd);

 private:
  ServerInfo info_;
  StdioOptions options_;
  std::shared_ptr<ToolSet> tools_ = std::make_shared<ToolSet>();
  std::shared_ptr<ToolSetHolder> holder_;
};

}  // namespace weir::mcp::protocol
