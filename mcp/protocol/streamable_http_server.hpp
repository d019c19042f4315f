// StreamableHttpServer — the MCP streamable-HTTP transport (spec revisions
// 2025-03-26, 2025-06-18, 2025-11-25) for one endpoint: sessions of
// session.hpp reached by POST, GET and DELETE on a single URL.
//
// POST carries one JSON-RPC message (no batches). The client's Accept must
// allow application/json or text/event-stream (else 406); a Content-Type
// other than application/json is 415; malformed JSON is 400 with a -32700
// error body.
//   - `initialize` creates a session: the SessionFactory given with the
//     request builds its tools (from its headers, and from what the front
//     door knows of the caller), the table (session_table.hpp) gives it
//     an id, sent back in `Mcp-Session-Id` with the initialize result. A
//     failed initialize keeps no session.
//   - Every other message needs `Mcp-Session-Id`: 400 without it, 404 for an
//     unknown, ended or expired session (the client then starts a new one).
//     An `MCP-Protocol-Version` header, when present, must name a version
//     this server speaks (400 otherwise).
//   - A notification or response is handed to the session and answered 202
//     with no body; an invalid message gets 400 with its JSON-RPC error.
//   - A request is answered on its own POST: one JSON body when the response
//     is all there is, or, as soon as a notification of its call (progress,
//     log) comes first or the call runs past the keep-alive interval, an SSE
//     stream (`event: message`) carrying the notifications, keep-alive
//     comments, then the response, and then the stream ends. A call cancelled
//     by `notifications/cancelled` (which arrives in another POST) ends its
//     stream with no response. When the client hangs up before the answer,
//     its call is cancelled: without resumable streams (not offered) the
//     answer could never reach it, and the upstream work should stop.
// GET (with `Mcp-Session-Id`) opens the session's standing SSE stream, for
// what the server says outside any call: `notifications/tools/list_changed`
// when its tools change (Session::attach_notifications). A session whose
// tools never change has nothing to say: its GET is 405, which the spec
// offers for that. One stream per session (a second GET is 409), and at
// most max_listeners open in all (405 past that: each holds a worker of the
// HTTP server); it carries keep-alive comments (every 15 s when keep_alive
// is 0, so a client gone silently is found), holds the session busy (so it does not expire while
// someone listens), and ends when the client hangs up, when the session ends
// (DELETE, eviction) and at shutdown. Messages sent while no stream is open
// are lost: the spec's resumable streams are not offered. Accept must allow
// text/event-stream (406 otherwise); no session id is 400, an unknown one
// 404. DELETE ends the session (its calls are cancelled).
//
// Errors of the transport itself carry a JSON-RPC error body with a null id
// (as the reference SDKs do). Exceptions thrown by the SessionFactory
// propagate out of handle() before anything is answered, so the front door
// answers them in its own terms. shutdown() ends every session, cancels its
// calls and waits for them up to a bound; later requests get 503.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include "mcp/protocol/call_counter.hpp"
#include "mcp/protocol/http_exchange.hpp"
#include "mcp/protocol/session.hpp"
#include "mcp/protocol/session_table.hpp"
#include "mcp/protocol/tool_set.hpp"
#include "mcp/protocol/tool_set_holder.hpp"

namespace weir::mcp::protocol {

struct StreamableHttpOptions {
  SessionTableOptions sessions;
  size_t max_calls_in_flight = 32;  // per session
  std::chrono::milliseconds keep_alive = std::chrono::seconds(15);  // 0: no keep-alive comments
  // GET streams open at once. Each holds a worker of the HTTP server for as
  // long as it is open, so a few must be left for everything else: past
  // this, a GET gets 405 and the client goes on without the stream (it still
  // gets every answer; only notifications outside a call are missed).
  size_t max_listeners = 8;
};

class StreamableHttpServer {
 public:
  // What a new session serves: its tools (which may change while it lives),
  // and (when set) who is told of each call as it ends
  // (SessionOptions::on_call_finished).
  struct SessionSetup {
    std::shared_ptr<ToolSetHolder> tools;
    std::function<void(const FinishedCall&)> on_call_finished;
  };
  // A new session's setup, from its initialize request. May throw to refuse
  // the session (see the contract above).
  using SessionFactory = std::function<SessionSetup(const HttpRequestView& request)>;

  explicit StreamableHttpServer(ServerInfo info, StreamableHttpOptions options = {});
  ~StreamableHttpServer();  // shutdown() with no bound on the wait
  StreamableHttpServer(const StreamableHttpServer&) = delete;
  StreamableHttpServer& operator=(const StreamableHttpServer&) = delete;

  // Any method; blocks while a call answers on its POST, and while a GET stream is open. `factory` is used
  // only when the request is an initialize. Thread-safe.
  void handle(const HttpRequestView& request, HttpResponder& responder, const SessionFactory& factory);

  // True when every call had ended within `wait`.
  bool shutdown(std::optional<std::chrono::milliseconds> wait);

  size_t session_count() const { return sessions_.size(); }

 private:
  std::atomic<size_t> listeners_{0};  // GET streams open now
  void post(const HttpRequestView& request, HttpResponder& responder, const SessionFactory& factory);
  void remove(const HttpRequestView& request, HttpResponder& responder);
  void listen(const HttpRequestView& request, HttpResponder& responder);

  ServerInfo info_;
  StreamableHttpOptions options_;
  std::shared_ptr<CallCounter> calls_ = std::make_shared<CallCounter>();
  SessionTable sessions_;
  std::atomic<bool> stopping_{false};
};

}  // namespace weir::mcp::protocol
