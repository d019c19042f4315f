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
//     malformed request, 413 over the body limit, 431 for huge headers).
//   - A connection serves requests one after another (keep-alive) on its own
//     thread; threads are started as connections arrive and kept for reuse, up
//     to `max_connections` at once (more wait in the kernel's accept queue).
//   - A handler must answer through its ResponseWriter exactly once: send(),
//     or begin_stream() + write()... + finish(). A handler that returns without
//     answering gets a 500; one that throws weir::Error gets that error's
//     status and error object; anything else thrown is a 500 naming it.
//   - stop() stops accepting, lets requests in flight finish for up to
//     `drain` (streams are told through on_shutdown callbacks first), then
//     closes what is left; run() returns after that.
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
  size_t max_connections = 1024;                // connections served at once
  std::chrono::milliseconds idle_timeout{60'000};    // a keep-alive connection with no request is closed
  std::chrono::milliseconds read_timeout{30'000};    // a request that stops arriving half-way is dropped
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before listen(). A second handler for the same method and path replaces the first.
  void route(std::string method, std::string path, Handler handler);
  // Runs before routing for every request: sets Request::caller, or throws
  // weir::Error to refuse the request (authentication, rate limits).
  void set_gatekeeper(std::function<void(Request&)> gatekeeper);

  // Binds and listens; throws Error(runtime) naming the address when it cannot.
  void listen();
  int port() const;  // the bound port, after listen()
  // Accepts and serves until stop(). Call after listen().
  void run();
  // Blocks until no connection is open (every thread that served one is idle
  // again) or `timeout` passes; true when none is. Thread-safe. For callers
  // that must know the clients' closes were seen, such as a test that sets
  // up a burst against idle threads.
  bool wait_until_no_connections(std::chrono::milliseconds timeout);
  // Thread-safe and async-signal-unsafe: call from a normal thread.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(10'000));

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weir::http
