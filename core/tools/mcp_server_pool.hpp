// McpServerPool — the MCP servers weir runs or talks to, one connection per
// distinct server record (McpServerSettings::key()), for the process's life.
//
// `weir serve` and `weir mcp serve` keep servers across requests; `weir chat`
// starts one the first time a request needs it. A connection starts its
// server and runs the handshake on first use, keeps the tool list for
// cache_seconds (or until the server sends tools/list_changed, which it
// also passes on to whoever watches: watch_tools()), and when a
// call finds the server gone before the call reached it (a stdio server
// found crashed, an HTTP session the server no longer has, a refused
// connection) it starts it again, or opens a new session, and sends that
// call once more. A server that goes away while a call runs fails that call
// (Error(upstream): the tool may have run, so it is never sent twice) and
// is started again by the next one. A server that lets two calls
// in a row time out is stopped, and started again by the next call.
//
// Errors are weir::Error naming the server: upstream when it cannot be
// started, answers nonsense or fails, upstream_timeout when a call gets no
// answer within timeout_ms; interrupted when the
// caller's CancelToken fires (the server is sent notifications/cancelled).
// A stdio server's stderr is appended to `log_directory`/mcp-NAME.log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/tools/mcp_server_settings.hpp"
#include "mcp/protocol/watchers.hpp"

namespace weir::mcp::protocol {
class McpClient;
}

namespace weir {

class McpServerConnection {
 public:
  McpServerConnection(McpServerSettings settings, std::string log_directory);
  ~McpServerConnection();

  const McpServerSettings& settings() const noexcept { return settings_; }
  // The server's MCP Tool objects (every page), cached as above.
  nlohmann::json tools(const CancelToken& cancel);
  // One tools/call; its CallToolResult. `on_progress` gets each progress notification's params.
  nlohmann::json call(const std::string& tool, const nlohmann::json& arguments, const nlohmann::json& meta,
                      const CancelToken& cancel, std::function<void(const nlohmann::json&)> on_progress = nullptr);
  // How many times the server was started (tests observe restarts).
  int starts() const;
  // `listener` runs each time the server says its tool list changed, while
  // the returned token is held (after which tools() lists it again). It runs
  // on a thread of this connection's own, never the client's reader, so it
  // may call tools() and take its time; listeners run one at a time, and
  // changes that arrive meanwhile are told once more when they are done
  // (several changes may be told as one). Must not throw.
  [[nodiscard]] std::shared_ptr<void> watch_tools(std::function<void()> listener);

 private:
  std::shared_ptr<mcp::protocol::McpClient> client(const CancelToken& cancel);
  void forget(const std::shared_ptr<mcp::protocol::McpClient>& broken);
  [[noreturn]] void fail(const std::exception& error, const std::string& doing) const;
  void tools_changed();  // on the client's reader thread
  void tell_watchers();  // the notifier thread


  McpServerSettings settings_;
  std::string log_path_;
  mutable std::mutex mutex_;
  std::shared_ptr<mcp::protocol::McpClient> client_;
  nlohmann::json tools_;
  std::chrono::steady_clock::time_point listed_at_;
  bool listed_ = false;
  uint64_t listed_changes_ = 0;  // the client's tool_list_changes() before tools_ was asked for
  int starts_ = 0;
  int timeouts_in_a_row_ = 0;
  static constexpr int kTimeoutsBeforeRestart = 2;

  mcp::protocol::Watchers tool_watchers_;
  std::mutex notify_mutex_;
  std::condition_variable notify_wake_;
  uint64_t changes_ = 0;  // list_changed notifications received
  bool stopping_ = false;
  std::thread notifier_;  // started by the first change anyone watches
};

class McpServerPool {
 public:
  // The process's pool.
  static McpServerPool& shared();
  std::shared_ptr<McpServerConnection> connection(const McpServerSettings& settings, const std::string& log_directory);
  // Stops every server (tests; the process's exit does it too).
  void clear();

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<McpServerConnection>> connections_;
};

}  // namespace weir
