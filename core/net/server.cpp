#include "core/net/server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/net/connection_reader.hpp"
#include "core/net/disconnect_watcher.hpp"
#include "core/net/error_body.hpp"
#include "core/net/socket_response_writer.hpp"

namespace weir::http {

namespace {

std::string_view error_type_for_status(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string_view error_code_for_status(int status) {
  switch (status) {
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 413: return "payload_too_large";
    case 431: return "headers_too_large";
    case 505: return "http_version_not_supported";
    default: return status >= 500 ? "internal_error" : "invalid_request";
  }
}

void send_status_error(SocketResponseWriter& writer, int status, const std::string& message,
                       const HeaderList& headers = {}) {
  writer.send(status, "application/json",
              error_body(message, error_type_for_status(status), error_code_for_status(status)), headers);
}

std::string peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  else if (address.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr, text, sizeof text);
  return text;
}

// Closing a socket with unread input makes the kernel send a reset, which can
// destroy the error response still in flight (a client in the middle of
// sending a too-large body would see "connection reset" instead of 413). So
// stop writing, and read and drop what still arrives, for a bounded time.
void discard_unread_input(int fd) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  char sink[16384];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd wait_for{fd, POLLIN, 0};
    if (::poll(&wait_for, 1, 200) <= 0) return;
    if (::recv(fd, sink, sizeof sink, 0) <= 0) return;
  }
}

}  // namespace

struct Server::State {
  ServerOptions options;
  std::map<std::pair<std::string, std::string>, Handler> routes;  // (method, path)
  std::set<std::string> routed_paths;
  std::function<void(Request&)> gatekeeper;

  int listen_fd = -1;
  int stop_fd = -1;  // an eventfd that becomes readable, and stays so, when stopping
  int bound_port = 0;
  std::atomic<bool> stopping{false};
  std::chrono::milliseconds drain{10'000};

  std::unique_ptr<DisconnectWatcher> watcher;

  // Connection threads: started on demand, reused while idle.
  std::mutex pool_mutex;
  std::condition_variable pool_changed;
  std::deque<int> waiting_connections;
  std::list<std::thread> threads;
  size_t idle_threads = 0;
  size_t open_connections = 0;
  std::set<int> connection_fds;
  std::set<SocketResponseWriter*> active_writers;

  void worker();
  void serve_connection(int fd);
  void handle(Request& request, SocketResponseWriter& writer);
  void close_connection(int fd);
};

Server::Server(ServerOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (state_->stop_fd < 0) throw Error(ErrorKind::runtime, std::string("cannot create an eventfd: ") + std::strerror(errno));
}

Server::~Server() {
  stop(std::chrono::milliseconds(0));
  {
    std::unique_lock lock(state_->pool_mutex);
    state_->pool_changed.notify_all();
  }
  for (auto& thread : state_->threads)
    if (thread.joinable()) thread.join();
  if (state_->listen_fd >= 0) ::close(state_->listen_fd);
  ::close(state_->stop_fd);
}

void Server::route(std::string method, std::string path, Handler handler) {
  state_->routed_paths.insert(path);
  state_->routes[{std::move(method), std::move(path)}] = std::move(handler);
}

void Server::set_gatekeeper(std::function<void(Request&)> gatekeeper) {
  state_->gatekeeper = std::move(gatekeeper);
}

void Server::listen() {
  const auto& options = state_->options;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto port_text = std::to_string(options.port);
  std::string where = options.host + ":" + port_text;
  if (int problem = ::getaddrinfo(options.host.c_str(), port_text.c_str(), &hints, &found); problem != 0)
    throw Error(ErrorKind::usage, "cannot resolve the address " + where + ": " + ::gai_strerror(problem));
  std::string last_problem = "no address";
  for (auto* candidate = found; candidate; candidate = candidate->ai_next) {
    int fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC, candidate->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
      state_->listen_fd = fd;
      break;
    }
    last_problem = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (state_->listen_fd < 0)
    throw Error(ErrorKind::runtime, "cannot listen on " + where + ": " + last_problem +
                                        " (is another server using the port? try --port 0 for any free port)");
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(state_->listen_fd, reinterpret_cast<sockaddr*>(&bound), &length);
  state_->bound_port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                                   : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  state_->watcher = std::make_unique<DisconnectWatcher>();
}

int Server::port() const { return state_->bound_port; }

void Server::run() {
  auto& state = *state_;
  if (state.listen_fd < 0) throw Error(ErrorKind::runtime, "http::Server::run() called before listen()");
  while (!state.stopping.load()) {
    {
      // At the connection cap, leave the rest in the kernel's accept queue.
      std::unique_lock lock(state.pool_mutex);
      state.pool_changed.wait(lock, [&] {
        return state.stopping.load() || state.open_connections < state.options.max_connections;
      });
    }
    pollfd waits[2] = {{state.listen_fd, POLLIN, 0}, {state.stop_fd, POLLIN, 0}};
    if (::poll(waits, 2, -1) < 0) continue;
    if (state.stopping.load() || (waits[1].revents & POLLIN)) break;
    int fd = ::accept4(state.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval send_timeout{30, 0};  // a client that stops reading is dropped, not waited on forever
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    std::lock_guard lock(state.pool_mutex);
    ++state.open_connections;
    state.connection_fds.insert(fd);
    state.waiting_connections.push_back(fd);
    // An idle thread takes one connection, and stays counted as idle until it
    // wakes: a burst that outnumbers the idle threads needs new ones, or the
    // rest would wait for a busy keep-alive connection to end.
    if (state.waiting_connections.size() > state.idle_threads)
      state.threads.emplace_back([this] { state_->worker(); });
    else
      state.pool_changed.notify_all();
  }

  // Draining: requests in flight may finish within the drain time; idle
  // keep-alive connections were woken by stop_fd and close themselves.
  ::close(state.listen_fd);
  state.listen_fd = -1;
  std::unique_lock lock(state.pool_mutex);
  for (auto* writer : state.active_writers) writer->shut_down();
  if (!state.pool_changed.wait_for(lock, state.drain, [&] { return state.open_connections == 0; })) {
    for (int fd : state.connection_fds) ::shutdown(fd, SHUT_RDWR);
    state.pool_changed.wait(lock, [&] { return state.open_connections == 0; });
  }
  state.pool_changed.notify_all();  // idle threads see `stopping` and end
}

void Server::stop(std::chrono::milliseconds drain) {
  auto& state = *state_;
  {
    std::lock_guard lock(state.pool_mutex);
    if (state.stopping.exchange(true)) return;
    state.drain = drain;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(state.stop_fd, &one, sizeof one);
  state.pool_changed.notify_all();
}

bool Server::wait_until_no_connections(std::chrono::milliseconds timeout) {
  auto& state = *state_;
  std::unique_lock lock(state.pool_mutex);
  // A worker counts itself idle again under the same lock hold in which it
  // closes its connection, so no open connection means no busy thread.
  return state.pool_changed.wait_for(lock, timeout, [&] { return state.open_connections == 0; });
}

void Server::State::worker() {
  std::unique_lock lock(pool_mutex);
  while (true) {
    ++idle_threads;
    pool_changed.wait(lock, [&] { return !waiting_connections.empty() || (stopping.load() && open_connections == 0); });
    --idle_threads;
    if (waiting_connections.empty()) return;
    int fd = waiting_connections.front();
    waiting_connections.pop_front();
    lock.unlock();
    serve_connection(fd);
    lock.lock();
    connection_fds.erase(fd);
    ::close(fd);
    --open_connections;
    pool_changed.notify_all();
  }
}

void Server::State::serve_connection(int fd) {
  ConnectionReader reader(fd, stop_fd);
  auto remote = peer_address(fd);
  while (!stopping.load()) {
    Request request;
    BodyFraming framing;
    try {
      auto head = reader.read_head(options.max_header_bytes, options.idle_timeout, options.read_timeout);
      if (!head) return;
      framing = parse_request_head(*head, request);
      if (framing.expects_continue) {
        if (!framing.chunked && framing.content_length > options.max_body_bytes)
          throw HeadError(413, "request body larger than the limit of " + std::to_string(options.max_body_bytes) +
                                   " bytes");
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        ::send(fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
      }
      request.body = reader.read_body(framing, options.max_body_bytes, options.read_timeout);
    } catch (const HeadError& error) {
      // The rest of the request cannot be trusted to be framed: answer and close.
      SocketResponseWriter writer(fd, false, true);
      send_status_error(writer, error.status(), error.what());
      discard_unread_input(fd);
      return;
    }
    request.remote_address = remote;

    SocketResponseWriter writer(fd, framing.keep_alive, !framing.http_1_0);
    {
      std::lock_guard lock(pool_mutex);
      active_writers.insert(&writer);
    }
    if (stopping.load()) writer.shut_down();
    auto watch = watcher->watch(fd, [&writer] { writer.mark_gone(); });
    handle(request, writer);
    watcher->unwatch(watch);
    {
      std::lock_guard lock(pool_mutex);
      active_writers.erase(&writer);
    }
    if (!writer.reusable()) return;
  }
}

void Server::State::handle(Request& request, SocketResponseWriter& writer) {
  try {
    if (gatekeeper) gatekeeper(request);
    auto found = routes.find({request.method, request.path});
    if (found == routes.end()) {
      if (routed_paths.count(request.path)) {
        std::string allowed;
        for (const auto& [key, handler] : routes)
          if (key.second == request.path) allowed += (allowed.empty() ? "" : ", ") + key.first;
        send_status_error(writer, 405, request.method + " is not allowed on " + request.path + "; use " + allowed,
                          {{"Allow", allowed}});
      } else {
        std::string served;
        for (const auto& path : routed_paths) served += (served.empty() ? "" : ", ") + path;
        send_status_error(writer, 404, "no route " + request.method + " " + request.path + " (this server serves " +
                                           served + ")");
      }
      return;
    }
    found->second(request, writer);
  } catch (const Error& error) {
    if (!writer.answered()) writer.send_error(error);
  } catch (const std::exception& error) {
    if (!writer.answered())
      send_status_error(writer, 500, std::string("internal error: ") + error.what() + " (please report this)");
  }
  if (!writer.answered()) send_status_error(writer, 500, "internal error: the handler gave no answer (please report this)");
  if (writer.streaming() && !writer.finished()) writer.finish();
}

}  // namespace weir::http
