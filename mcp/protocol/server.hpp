// Server — an MCP server over newline-delimited JSON-RPC 2.0 on a pair of file
// descriptors (stdin/stdout). It knows tools only as definitions and handlers.
//
// Lifecycle: `initialize` (version negotiated by versions.hpp),
// `notifications/initialized`, `ping`; then `tools/list`, `tools/call`,
// `logging/setLevel`, `notifications/cancelled`. Anything else is
// -32601; malformed JSON is -32700 with a null id; a message that is not a
// valid request is -32600; bad params (and an unknown tool) are -32602. A
// message over the size limit is answered with -32600 (id null) and skipped.
//
// Concurrency: the reading thread answers everything but `tools/call` itself,
// so `ping` is never queued behind a call; each call runs on its own thread.
// A cancelled call's response is not sent (the MCP rule); its handler is told
// through CallContext. Each finished call is logged to the client
// (`notifications/message`: debug, or warning for an isError result) at the
// level it set. At end of input serve() waits for the calls in flight,
// sends their answers, and returns. Diagnostics go to stderr only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "mcp/protocol/call_context.hpp"
#include "mcp/protocol/tool.hpp"

namespace weir::mcp::protocol {

struct ServerInfo {
  std::string name;
  std::string version;
  std::string title;
  std::string instructions;  // sent with the initialize result when not empty
};

struct ServerOptions {
  size_t max_message_bytes = 10 * 1024 * 1024;
  size_t max_calls_in_flight = 32;  // more are answered with an isError result
};

// Runs on a call's own thread. Throw ProtocolError for a JSON-RPC error;
// return ToolResult::error for a failure the model should see.
using ToolHandler = std::function<ToolResult(const nlohmann::json& arguments, CallContext& context)>;

class Server {
 public:
  explicit Server(ServerInfo info, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Throws std::invalid_argument when the name is already taken.
  void add_tool(ToolDefinition definition, ToolHandler handler);

  // Reads until end of input; returns once every call in flight has answered.
  void serve(int input_fd, int output_fd);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weir::mcp::protocol
