// McpClient — weir as an MCP client of one server, over a ClientTransport.
//
// Lifecycle: connect() sends `initialize` offering 2025-06-18 and accepts the
// version the server answers when it is one of versions.hpp, then sends
// `notifications/initialized`. list_tools() follows `nextCursor` to the end.
// call_tool() sends `tools/call` with a progress token; the server's
// `notifications/progress` for it reach the call's on_progress, on the
// calling thread and never after the call returned. When the
// call's `cancelled` turns true or its timeout passes, the client sends
// `notifications/cancelled` for the request and stops waiting. A
// `notifications/tools/list_changed` counts one more change
// (tool_list_changes(): a list read before a change is older than it), then
// runs the callback given to on_tools_changed(). The server's own requests are
// answered: ping with an empty result, anything else method-not-found.
//
// Concurrency: several threads may call at once; responses are matched to
// calls by id on the transport's thread.
//
// Errors are ClientError with a kind: `closed` (the server is gone: a crash,
// a write that failed), `timeout`, `cancelled`, `remote` (a JSON-RPC error
// answer; code() is its code) and `protocol` (an answer of the wrong shape or
// an unsupported version). Messages say which server and what to do.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcp/protocol/client_transport.hpp"

namespace weir::mcp::protocol {

class ClientError : public std::runtime_error {
 public:
  enum class Kind { closed, timeout, cancelled, remote, protocol };
  ClientError(Kind kind, const std::string& message, int code = 0)
      : std::runtime_error(message), kind_(kind), code_(code) {}
  Kind kind() const noexcept { return kind_; }
  int code() const noexcept { return code_; }
  // For `closed`: whether the request had been handed to the server before
  // the connection closed. When it had, the server may have acted on it, so
  // a tool call must not be sent again.
  bool request_sent() const noexcept { return request_sent_; }
  ClientError& after_send() noexcept {
    request_sent_ = true;
    return *this;
  }

 private:
  Kind kind_;
  int code_;
  bool request_sent_ = false;
};

struct CallOptions {
  std::chrono::milliseconds timeout{60'000};
  // Polled while waiting; true stops the call (notifications/cancelled is sent).
  std::function<bool()> cancelled;
  // The params of each notifications/progress for this call, in order; runs
  // on the thread that made the call, while it waits for the answer.
  std::function<void(const nlohmann::json& params)> on_progress;
};

inline constexpr std::string_view kClientOfferedVersion = "2025-06-18";

class McpClient {
 public:
  explicit McpClient(std::unique_ptr<ClientTransport> transport);
  ~McpClient();
  McpClient(const McpClient&) = delete;
  McpClient& operator=(const McpClient&) = delete;

  // Starts the transport and runs the initialize handshake; `cancelled` as in CallOptions.
  void connect(std::chrono::milliseconds timeout, std::function<bool()> cancelled = nullptr);
  const std::string& protocol_version() const noexcept { return protocol_version_; }
  const nlohmann::json& server_info() const noexcept { return server_info_; }

  // Every tool (the MCP Tool objects, each with a string `name`), all pages.
  nlohmann::json list_tools(std::chrono::milliseconds timeout, std::function<bool()> cancelled = nullptr);
  // The CallToolResult object. `meta` (an object or null) becomes `_meta`,
  // beside the progress token.
  nlohmann::json call_tool(const std::string& name, const nlohmann::json& arguments, const nlohmann::json& meta,
                           const CallOptions& options);
  // Any request; its `result`.
  nlohmann::json request(const std::string& method, nlohmann::json params, const CallOptions& options);

  // How many times the server has said its tool list changed.
  uint64_t tool_list_changes() const noexcept { return tool_list_changes_; }
  // Runs on the transport's thread each time the server says its tool list
  // changed, after tool_list_changes() grew: it must be quick and must not
  // make requests of this client (their answers arrive on that very
  // thread); hand the work to another thread. Set before connect().
  void on_tools_changed(std::function<void()> callback) { on_tools_changed_ = std::move(callback); }
  bool closed() const;
  const std::string& describe() const noexcept { return description_; }

 private:
  struct Pending {
    std::optional<nlohmann::json> response;
    std::string progress_token;
    std::vector<nlohmann::json> progress;  // received, not yet handed to the caller
    bool undelivered = false;              // the transport knows the server never got it
  };
  void on_message(const nlohmann::json& message);
  void on_closed(const std::string& reason, const nlohmann::json& undelivered_id);
  void answer_server_request(const nlohmann::json& id, const std::string& method);

  std::unique_ptr<ClientTransport> transport_;
  std::string description_;
  std::string protocol_version_;
  nlohmann::json server_info_;
  std::atomic<uint64_t> tool_list_changes_{0};
  std::function<void()> on_tools_changed_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int64_t, std::shared_ptr<Pending>> pending_;
  int64_t next_id_ = 1;
  std::optional<std::string> closed_reason_;
};

}  // namespace weir::mcp::protocol
