// http::Server — the HTTP/1.1 server behind `weir serve`.
//
// Why our own and not cpp-httplib (DESIGN.md "Dependencies"): Debian's
// cpp-httplib is a shared library that pulls OpenSSL, zlib and brotli into
// every `weir` start-up, and its handlers cannot see their socket, so a client
// that hangs up while the upstream is still thinking goes unnoticed. Here each
// connection is ours: a handler learns of a disconnect at once (on_disconnect)
// and streamed chunks go out with TCP_NODELAY the moment they are written.
//
// Contract:
//   - Routes match the method and the exact path (no query string). An unknown
//     path is 404, a known path with another method 405; both as OpenAI error
//     objects, like every error this server produces by itself (400 for a
//     malformed request, 408 for one that did not arrive in time, 413 over the
//     body limit, 431 for huge headers, 503 with Retry-After when saturated).
//     HEAD on a path served by GET runs the GET handler and sends its status
//     and headers without the body.
//   - Connections are kept alive between requests. One event-loop thread (the
//     caller of run()) accepts them and reads every request head without
//     waiting on any one client; only a complete head is handed to a worker,
//     which reads the body, runs the handler and gives the connection back to
//     the loop (after waiting up to `keep_alive_linger` for the client's
//     next request, unless a queued request needs the worker). So idle keep-alive connections and slow or incomplete heads
//     hold no thread, and a head must arrive whole within `head_timeout`, a
//     body within `body_timeout` (totals, not per read).
//   - Bounded: at most `max_connections` open. A connection beyond that makes
//     room by closing the longest-idle connection, else the slowest
//     incomplete head, if it has been so for `shed_grace` (a client that has
//     just connected is about to send its request); otherwise the new one is
//     answered 503 with Retry-After. At most `max_workers` threads serve
//     requests; complete requests wait for one in a queue of at most
//     `max_queued_requests`, beyond which they are answered 503 with
//     Retry-After. New clients are never left in the kernel's accept queue:
//     even out of file descriptors, one is accepted to be answered 503.
//   - Workers start as requests need them and end after `worker_idle_timeout`
//     without work, taking their thread-local resources (libcurl handle and
//     upstream connections) with them; `on_worker_exit` runs on each as it
//     ends (serve gives back a store connection there).
//   - Streamed chunks go out with TCP_NODELAY the moment they are written, and
//     a client that hangs up while its request is being worked on is noticed
//     at once (DisconnectWatcher, ResponseWriter::on_disconnect).
//   - A handler must answer through its ResponseWriter exactly once: send(),
//     or begin_stream() + write()... + finish(). A handler that returns without
//     answering gets a 500; one that throws weir::Error gets that error's
//     status and error object; anything else thrown is a 500 naming it.
//   - stop() stops accepting, closes connections between requests, lets
//     requests in flight finish for up to `drain` (streams are told through
//     on_shutdown callbacks first), then closes what is left; run() returns
//     after that.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/net/request.hpp"
#include "core/net/response_writer.hpp"

namespace weir::http {

using Handler = std::function<void(const Request& request, ResponseWriter& response)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                                 // 0: any free port (see Server::port())
  size_t max_body_bytes = 10 * 1024 * 1024;     // larger bodies are refused with 413
  size_t max_header_bytes = 64 * 1024;          // request line + headers
  size_t max_connections = 1024;                // open at once; more shed the idlest or slowest
  size_t max_workers = 64;                      // threads serving requests at once
  size_t max_queued_requests = 1024;            // complete requests waiting for a worker; more get 503
  std::chrono::milliseconds idle_timeout{60'000};         // a keep-alive connection with no request is closed
  std::chrono::milliseconds head_timeout{10'000};         // the whole request head, from its first byte
  std::chrono::milliseconds body_timeout{120'000};        // the whole request body, from the end of the head
  std::chrono::milliseconds worker_idle_timeout{30'000};  // a worker with no request this long ends
  std::chrono::milliseconds shed_grace{1'000};            // younger idle or heading connections are not shed
  std::chrono::milliseconds keep_alive_linger{500};       // a worker waits this long for the next request itself
  std::chrono::seconds retry_after{1};                    // the Retry-After of a 503 when saturated
  std::function<void()> on_worker_exit;                   // runs on a worker's thread as it ends
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before listen(). A second handler for the same method and path replaces the first.
  // A path ending in "/*" serves every longer path under it that has no
  // exact route (the longest such prefix wins); the handler reads the rest
  // of Request::path (`/v1/batches/*` serves `/v1/batches/batch_1/cancel`).
  void route(std::string method, std::string path, Handler handler);
  // Runs before routing for every request: sets Request::caller, or throws
  // weir::Error to refuse the request (authentication, rate limits).
  void set_gatekeeper(std::function<void(Request&)> gatekeeper);
  // Told about every request refused with 403 (Error(permission) from the
  // gatekeeper or a handler, before any answer was sent), so the gatekeeper
  // can take back what admitting it counted.
  void set_refusal_observer(std::function<void(const Request&)> on_refused);

  // Binds and listens; throws Error(runtime) naming the address when it cannot.
  void listen();
  int port() const;  // the bound port, after listen()
  // Accepts and serves until stop(). Call after listen().
  void run();
  // Blocks until no connection is open (the server has seen every client's
  // close) or `timeout` passes; true when none is. Thread-safe. For callers
  // that must know the clients' closes were seen, such as a test that sets
  // up a burst against idle workers.
  bool wait_until_no_connections(std::chrono::milliseconds timeout);
  // Connections open and worker threads alive now. Thread-safe; for tests
  // and diagnostics.
  size_t open_connections() const;
  size_t live_workers() const;
  // Thread-safe and async-signal-unsafe: call from a normal thread.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(10'000));

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weir::http
