// Session — one MCP conversation with one client, whatever carries it.
//
// It is the JSON-RPC/MCP logic of a server without a transport: the
// lifecycle (`initialize` with version negotiation, `notifications/initialized`,
// `ping`), `tools/list`, `tools/call`, `logging/setLevel` and
// `notifications/cancelled`. The stdio transport gives it every line of
// stdin; the HTTP transport gives it the message of each POST.
//
// Its tools come from a ToolSetHolder (tool_set_holder.hpp). When they can
// change, `initialize` advertises tools.listChanged, and each change sends
// `notifications/tools/list_changed` (to an initialized client) through the
// notification outbox attached with attach_notifications(), outside any
// call; a change made while none is attached is not announced (the client
// sees the new list when it next asks).
//
// Contract of handle(): the answer to a message, if it has one, and the
// notifications of the call it starts go to the Outbox given with it, then
// the outbox is closed (outbox.hpp). Anything but `tools/call` is answered
// before handle() returns, so `ping` is never queued behind a call; each call
// runs on its own thread. Unknown methods are -32601, a message that is not a
// valid request -32600 (with its id when it has a readable one), bad params
// and unknown tools -32602. A cancelled call's response is not sent (the MCP
// rule); its handler is told through CallContext. Each finished call is
// logged to the client (`notifications/message`: debug, or warning for an
// isError result) at the level it set. More than max_calls_in_flight calls
// at once are answered with an isError result. handle() is thread-safe.
//
// Destruction waits for the calls in flight (cancel_all() or end() first to
// make that quick). Diagnostics go to stderr only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcp/protocol/call_counter.hpp"
#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/outbox.hpp"
#include "mcp/protocol/tool_set.hpp"
#include "mcp/protocol/tool_set_holder.hpp"

namespace weir::mcp::protocol {

struct ServerInfo {
  std::string name;
  std::string version;
  std::string title;
  std::string instructions;  // sent with the initialize result when not empty
};

struct SessionOptions {
  size_t max_calls_in_flight = 32;  // more are answered with an isError result
  // Also counts this session's calls, for a transport that waits for all of
  // its sessions' calls at shutdown. May be null.
  std::shared_ptr<CallCounter> shared_counter;
  // Told of every call once it has ended and its response has been sent
  // (cancelled calls too), on the call's thread. Must not throw.
  std::function<void(const FinishedCall&)> on_call_finished;
};

class Session {
 public:
  Session(ServerInfo info, std::shared_ptr<ToolSetHolder> tools, SessionOptions options = {});
  // Tools that never change.
  Session(ServerInfo info, std::shared_ptr<const ToolSet> tools, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // A parsed message (json_rpc.hpp classify()). See the contract above.
  void handle(const IncomingMessage& message, std::shared_ptr<Outbox> outbox);

  // What notifications/cancelled does: the call with this id (if it is still
  // running) is told to stop and will send no response.
  void cancel(const nlohmann::json& request_id);
  void cancel_all();
  // The session is over (DELETE, expiry, shutdown): cancel_all(), and the
  // notification outbox is closed and detached. Idempotent.
  void end();

  // Whether this session ever sends a message outside a call (its tools can
  // change): a transport offers a standing stream only then.
  bool sends_notifications() const;
  // Where those messages go: stdout for stdio, an HTTP client's standing GET
  // stream. One at a time: false (and nothing attached) when one already
  // is, or once the session has ended. detach_notifications() removes
  // `outbox` only if it is still the one attached.
  bool attach_notifications(std::shared_ptr<Outbox> outbox);
  void detach_notifications(const std::shared_ptr<Outbox>& outbox);
  // True once no call is running (false when `timeout` passed first).
  bool wait_idle(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  bool initialized() const;
  std::string_view protocol_version() const;  // the negotiated one; the latest before initialize

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weir::mcp::protocol
