#include "core/net/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/error.hpp"
#include "core/net/connection_reader.hpp"
#include "core/net/disconnect_watcher.hpp"
#include "core/net/error_body.hpp"
#include "core/net/socket_response_writer.hpp"

namespace weir::http {

namespace {

using Clock = std::chrono::steady_clock;

// epoll ids of the loop's own descriptors; connections are numbered after them.
constexpr uint64_t kListenId = 1;
constexpr uint64_t kStopId = 2;
constexpr uint64_t kWakeId = 3;
constexpr uint64_t kFirstConnectionId = 16;
// How long a refused connection may still send what it had started, so that
// closing it does not reset the answer away (see discard_unread_input).
constexpr auto kLinger = std::chrono::seconds(2);
// The most body bytes the loop gathers at once (Content-Length bodies still
// arriving); more wait in workers, within the slow-body slots.
constexpr size_t kLoopBodyBytes = 256 * 1024 * 1024;

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
    case 501: return "not_implemented";
    case 503: return "server_overloaded";
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
// (A worker's way; the event loop does the same without waiting, in the
// `closing` phase.)
void discard_unread_input(int fd) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = Clock::now() + kLinger;
  char sink[16384];
  while (Clock::now() < deadline) {
    pollfd wait_for{fd, POLLIN, 0};
    if (::poll(&wait_for, 1, 200) <= 0) return;
    if (::recv(fd, sink, sizeof sink, 0) <= 0) return;
  }
}

int milliseconds_until(Clock::time_point when) {
  if (when == Clock::time_point::max()) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(when - Clock::now()).count();
  if (left <= 0) return 0;
  return left > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(left);
}

}  // namespace

struct Server::State {
  // Who owns a connection: the event loop while it waits for (or reads) a
  // request head or its Content-Length body, or lingers after a refusal; a
  // worker while `busy`.
  enum class Phase { idle, head, body, busy, closing };
  struct Connection {
    Connection(uint64_t number, int socket) : id(number), fd(socket), reader(socket) {}
    uint64_t id;
    int fd;
    ConnectionReader reader;
    std::string remote;
    Phase phase = Phase::idle;
    Clock::time_point since;     // idle: last answer; head: its first byte; body: the head's end
    Clock::time_point deadline;  // when the loop closes it (not while busy)
    // Phase::body: the request whose body is still arriving.
    Request waiting_request;
    BodyFraming waiting_framing;
    bool reads_body_slowly = false;  // a worker holds one of the slow-body slots for it
  };
  struct Job {
    Connection* connection;
    Request request;
    BodyFraming framing;
  };

  ServerOptions options;
  std::map<std::pair<std::string, std::string>, Handler> routes;  // (method, path)
  std::set<std::string> routed_paths;
  std::function<void(Request&)> gatekeeper;
  std::function<void(const Request&)> on_refused;

  int listen_fd = -1;
  int stop_fd = -1;   // an eventfd that becomes readable, and stays so, when stopping
  int wake_fd = -1;   // wakes the loop: an earlier deadline, a worker ended
  int epoll_fd = -1;
  int spare_fd = -1;  // given up to accept one connection when out of descriptors
  int bound_port = 0;
  std::atomic<bool> stopping{false};
  std::chrono::milliseconds drain{10'000};

  std::unique_ptr<DisconnectWatcher> watcher;

  mutable std::mutex mutex;
  std::condition_variable connections_changed;  // a connection closed
  std::condition_variable work_changed;         // a job queued, or workers must end
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections;
  uint64_t next_connection_id = kFirstConnectionId;
  Clock::time_point next_sweep = Clock::time_point::max();  // no loop-owned deadline is earlier
  Clock::time_point accept_resumes = Clock::time_point::max();  // accepting paused until then (out of descriptors)
  std::deque<Job> jobs;
  std::map<uint64_t, std::thread> workers;
  std::vector<uint64_t> ended_workers;
  uint64_t next_worker_id = 1;
  size_t live_workers = 0;
  size_t idle_workers = 0;
  size_t body_bytes_held = 0;      // Content-Length bodies the loop is gathering (their full sizes)
  size_t slow_body_readers = 0;    // workers reading a body that was not all here (chunked, 100-continue)
  bool workers_stop = false;
  std::set<SocketResponseWriter*> active_writers;

  // The event loop.
  void accept_connections();
  void admit_connection(int fd);
  void on_readable(uint64_t id);
  void read_head(Connection& connection);
  void dispatch(Connection& connection, Request request, BodyFraming framing);
  void release_slow_body_slot(Connection& connection);
  bool hold_for_body_locked(Connection& connection, Request& request, const BodyFraming& framing);
  size_t slow_body_slots() const;
  void refuse(Connection& connection, int status, const std::string& message);
  void refuse_at_once(int fd, const std::string& message);
  void sweep();
  bool shed_one_locked();
  void arm_locked(Connection& connection);
  void set_deadline_locked(Connection& connection, Clock::time_point deadline);
  void close_locked(Connection& connection);
  void join_ended_workers();
  void wake();
  HeaderList retry_after() const { return {{"Retry-After", std::to_string(options.retry_after.count())}}; }

  // The workers.
  void spawn_worker_locked();
  void worker(uint64_t id);
  void serve(Job job);
  bool linger(Connection& connection);
  void give_back(Connection& connection);
  void close_from_worker(Connection& connection);
  void handle(Request& request, SocketResponseWriter& writer);
};

Server::Server(ServerOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  if (state_->options.max_workers == 0) state_->options.max_workers = 1;
  if (state_->options.max_connections == 0) state_->options.max_connections = 1;
  state_->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  state_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  state_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (state_->stop_fd < 0 || state_->wake_fd < 0 || state_->epoll_fd < 0) {
    auto problem = std::string(std::strerror(errno));
    for (int fd : {state_->stop_fd, state_->wake_fd, state_->epoll_fd})
      if (fd >= 0) ::close(fd);
    throw Error(ErrorKind::runtime, "cannot set up the HTTP server's event loop: " + problem);
  }
  for (auto [fd, id] : {std::pair{state_->stop_fd, kStopId}, std::pair{state_->wake_fd, kWakeId}}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    ::epoll_ctl(state_->epoll_fd, EPOLL_CTL_ADD, fd, &event);
  }
}

Server::~Server() {
  stop(std::chrono::milliseconds(0));
  std::map<uint64_t, std::thread> remaining;
  {
    std::lock_guard lock(state_->mutex);
    state_->workers_stop = true;
    state_->work_changed.notify_all();
    remaining.swap(state_->workers);
  }
  for (auto& [id, thread] : remaining)
    if (thread.joinable()) thread.join();
  for (auto& [id, connection] : state_->connections) ::close(connection->fd);
  state_->connections.clear();
  if (state_->listen_fd >= 0) ::close(state_->listen_fd);
  if (state_->spare_fd >= 0) ::close(state_->spare_fd);
  ::close(state_->epoll_fd);
  ::close(state_->wake_fd);
  ::close(state_->stop_fd);
}

void Server::route(std::string method, std::string path, Handler handler) {
  state_->routed_paths.insert(path);
  state_->routes[{std::move(method), std::move(path)}] = std::move(handler);
}

void Server::set_gatekeeper(std::function<void(Request&)> gatekeeper) {
  state_->gatekeeper = std::move(gatekeeper);
}

void Server::set_refusal_observer(std::function<void(const Request&)> on_refused) {
  state_->on_refused = std::move(on_refused);
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
    int fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                      candidate->ai_protocol);
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
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kListenId;
  ::epoll_ctl(state_->epoll_fd, EPOLL_CTL_ADD, state_->listen_fd, &event);
  state_->spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  state_->watcher = std::make_unique<DisconnectWatcher>();
}

int Server::port() const { return state_->bound_port; }

void Server::run() {
  auto& state = *state_;
  if (state.listen_fd < 0) throw Error(ErrorKind::runtime, "http::Server::run() called before listen()");
  epoll_event events[64];
  while (!state.stopping.load()) {
    state.join_ended_workers();
    int timeout;
    {
      std::lock_guard lock(state.mutex);
      timeout = milliseconds_until(state.next_sweep);
    }
    int count = ::epoll_wait(state.epoll_fd, events, 64, timeout);
    if (count < 0 && errno != EINTR) break;
    for (int index = 0; index < count && !state.stopping.load(); ++index) {
      auto id = events[index].data.u64;
      if (id == kStopId) break;
      if (id == kWakeId) {
        uint64_t value;
        [[maybe_unused]] auto got = ::read(state.wake_fd, &value, sizeof value);
      } else if (id == kListenId) {
        state.accept_connections();
      } else {
        state.on_readable(id);
      }
    }
    state.sweep();
  }

  // Draining: connections between requests are closed; requests in flight
  // (and complete ones queued for a worker) may finish within the drain time.
  ::close(state.listen_fd);
  state.listen_fd = -1;
  std::unique_lock lock(state.mutex);
  for (auto iterator = state.connections.begin(); iterator != state.connections.end();) {
    auto& connection = *iterator->second;
    ++iterator;
    if (connection.phase != State::Phase::busy) state.close_locked(connection);
  }
  for (auto* writer : state.active_writers) writer->shut_down();
  if (!state.connections_changed.wait_for(lock, state.drain, [&] { return state.connections.empty(); })) {
    for (auto& [id, connection] : state.connections) ::shutdown(connection->fd, SHUT_RDWR);
    state.connections_changed.wait(lock, [&] { return state.connections.empty(); });
  }
  state.workers_stop = true;
  state.work_changed.notify_all();  // idle workers end
}

void Server::stop(std::chrono::milliseconds drain) {
  auto& state = *state_;
  {
    std::lock_guard lock(state.mutex);
    if (state.stopping.exchange(true)) return;
    state.drain = drain;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(state.stop_fd, &one, sizeof one);
}

bool Server::wait_until_no_connections(std::chrono::milliseconds timeout) {
  auto& state = *state_;
  std::unique_lock lock(state.mutex);
  return state.connections_changed.wait_for(lock, timeout, [&] { return state.connections.empty(); });
}

size_t Server::open_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections.size();
}

size_t Server::live_workers() const {
  std::lock_guard lock(state_->mutex);
  return state_->live_workers;
}

// ---------------------------------------------------------------------------
// The event loop

void Server::State::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd, &one, sizeof one);
}

void Server::State::accept_connections() {
  // A bounded number per wake-up, so connections already open get their turn.
  for (int accepted = 0; accepted < 64; ++accepted) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      admit_connection(fd);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EMFILE || errno == ENFILE) {
      if (spare_fd >= 0) {
        // Out of descriptors: free the spare one to take the client off the
        // queue and tell it to come back, rather than leave it waiting.
        ::close(spare_fd);
        spare_fd = -1;
        fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          refuse_at_once(fd, "weir serve has reached its open-file limit; try again in a moment");
          ::close(fd);
        }
        spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      }
      if (spare_fd < 0) {
        // Not even that: stop listening for a moment rather than spin on a
        // listening socket that stays readable (sweep() resumes it).
        epoll_event paused{};
        paused.data.u64 = kListenId;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &paused);
        std::lock_guard lock(mutex);
        accept_resumes = Clock::now() + std::chrono::milliseconds(10);
        if (accept_resumes < next_sweep) next_sweep = accept_resumes;
      }
    }
    return;  // EAGAIN: no more waiting; anything else: try at the next wake-up
  }
}

void Server::State::admit_connection(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval send_timeout{30, 0};  // a client that stops reading is dropped, not waited on forever
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  std::unique_lock lock(mutex);
  if (connections.size() >= options.max_connections && !shed_one_locked()) {
    lock.unlock();
    refuse_at_once(fd, "weir serve is serving as many connections as it can; try again in a moment");
    ::close(fd);
    return;
  }
  auto id = next_connection_id++;
  auto& connection = *connections.emplace(id, std::make_unique<Connection>(id, fd)).first->second;
  connection.remote = peer_address(fd);
  connection.since = Clock::now();
  set_deadline_locked(connection, connection.since + options.idle_timeout);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  event.data.u64 = id;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

void Server::State::refuse_at_once(int fd, const std::string& message) {
  // Whatever the client already sent is read first, so that closing does not
  // reset the answer away.
  char sink[16384];
  while (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
  }
  SocketResponseWriter writer(fd, false, true, false);
  send_status_error(writer, 503, message, retry_after());
  ::shutdown(fd, SHUT_WR);
}

// Over the connection cap: close one already refused, else the connection
// that waited longest for its next request, else the one whose head has been
// arriving longest (a slow or hostile client). Busy ones are never shed, nor
// ones that entered their phase within `shed_grace`: a burst of clients that
// have just connected would otherwise close each other before sending a byte.
bool Server::State::shed_one_locked() {
  Connection* victim = nullptr;
  auto rank = [](Phase phase) { return phase == Phase::closing ? 0 : phase == Phase::idle ? 1 : 2; };
  auto settled = Clock::now() - options.shed_grace;
  for (auto& [id, candidate] : connections) {
    if (candidate->phase == Phase::busy) continue;
    if (candidate->phase != Phase::closing && candidate->since > settled) continue;
    if (!victim || rank(candidate->phase) < rank(victim->phase) ||
        (rank(candidate->phase) == rank(victim->phase) && candidate->since < victim->since))
      victim = candidate.get();
  }
  if (!victim) return false;
  close_locked(*victim);
  return true;
}

void Server::State::set_deadline_locked(Connection& connection, Clock::time_point deadline) {
  connection.deadline = deadline;
  if (deadline < next_sweep) next_sweep = deadline;
}

void Server::State::arm_locked(Connection& connection) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  event.data.u64 = connection.id;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, connection.fd, &event);
}

void Server::State::close_locked(Connection& connection) {
  if (connection.phase == Phase::body) body_bytes_held -= connection.waiting_framing.content_length;
  if (connection.reads_body_slowly) --slow_body_readers;
  ::close(connection.fd);  // also leaves the epoll set
  connections.erase(connection.id);
  connections_changed.notify_all();
}

void Server::State::on_readable(uint64_t id) {
  Connection* connection;
  {
    std::lock_guard lock(mutex);
    auto found = connections.find(id);
    if (found == connections.end() || found->second->phase == Phase::busy) return;
    connection = found->second.get();
  }
  // The loop owns this connection until it hands it to a worker.
  auto received = connection->reader.receive();
  std::lock_guard lock(mutex);
  if (received == ConnectionReader::Receive::closed) {
    close_locked(*connection);
    return;
  }
  if (connection->phase == Phase::closing) {
    connection->reader.discard_pending();
    arm_locked(*connection);
    return;
  }
  if (connection->phase == Phase::body) {
    if (connection->reader.buffered() < connection->waiting_framing.content_length) {
      arm_locked(*connection);
      return;
    }
    body_bytes_held -= connection->waiting_framing.content_length;
    dispatch(*connection, std::move(connection->waiting_request), connection->waiting_framing);
    return;
  }
  if (received == ConnectionReader::Receive::data && connection->phase == Phase::idle) {
    connection->phase = Phase::head;
    connection->since = Clock::now();
    set_deadline_locked(*connection, connection->since + options.head_timeout);
  }
  read_head(*connection);
}

// With the lock held: a complete head goes to a worker; an incomplete one
// waits for more bytes.
void Server::State::read_head(Connection& connection) {
  Request request;
  BodyFraming framing;
  try {
    auto head = connection.reader.take_head(options.max_header_bytes);
    if (!head) {
      arm_locked(connection);
      return;
    }
    framing = parse_request_head(*head, request);
  } catch (const HeadError& error) {
    refuse(connection, error.status(), error.what());
    return;
  }
  if (!framing.chunked && framing.content_length > options.max_body_bytes) {
    refuse(connection, 413,
           "request body larger than the limit of " + std::to_string(options.max_body_bytes) + " bytes");
    return;
  }
  if (hold_for_body_locked(connection, request, framing)) return;
  dispatch(connection, std::move(request), framing);
}

// The most workers that may wait on a body still arriving (chunked, or after
// 100 Continue): a client that sends such a body slowly holds a worker, so
// only a quarter of them may be held that way.
void Server::State::release_slow_body_slot(Connection& connection) {
  std::lock_guard lock(mutex);
  if (!connection.reads_body_slowly) return;
  connection.reads_body_slowly = false;
  --slow_body_readers;
}

size_t Server::State::slow_body_slots() const { return std::max<size_t>(1, options.max_workers / 4); }

// With the lock held: a Content-Length body that is not all here yet is
// gathered by the loop (Phase::body), so that a client that sends a head and
// then its body slowly, or never, holds no worker; the request goes to a
// worker once the whole body is buffered. Bodies the loop gathers are bounded
// in total (kLoopBodyBytes); beyond that, and for chunked or 100-continue
// bodies, a worker reads the body, within the slow-body slots.
bool Server::State::hold_for_body_locked(Connection& connection, Request& request, const BodyFraming& framing) {
  if (framing.chunked || framing.expects_continue) return false;
  if (connection.reader.buffered() >= framing.content_length) return false;
  if (body_bytes_held + framing.content_length > kLoopBodyBytes) return false;
  body_bytes_held += framing.content_length;
  connection.phase = Phase::body;
  connection.waiting_request = std::move(request);
  connection.waiting_framing = framing;
  connection.since = Clock::now();
  set_deadline_locked(connection, connection.since + options.body_timeout);
  arm_locked(connection);
  return true;
}

void Server::State::dispatch(Connection& connection, Request request, BodyFraming framing) {
  if (jobs.size() >= options.max_queued_requests) {
    refuse(connection, 503, "weir serve is answering as many requests as it can; try again in a moment");
    return;
  }
  bool slow_body = framing.chunked || framing.expects_continue ||
                   connection.reader.buffered() < framing.content_length;
  if (slow_body && slow_body_readers >= slow_body_slots()) {
    refuse(connection, 503, "weir serve is reading as many slow request bodies as it allows; try again in a moment");
    return;
  }
  if (slow_body) ++slow_body_readers;
  connection.reads_body_slowly = slow_body;
  connection.phase = Phase::busy;
  jobs.push_back({&connection, std::move(request), framing});
  // An idle worker takes one job, and stays counted as idle until it wakes:
  // a burst that outnumbers the idle workers needs new ones.
  if (jobs.size() > idle_workers && live_workers < options.max_workers) spawn_worker_locked();
  work_changed.notify_one();
}

// With the lock held: answers an error without waiting on the client, then
// lingers (reading and dropping what still comes) until the client closes
// or kLinger passes, so that the close does not reset the answer away.
void Server::State::refuse(Connection& connection, int status, const std::string& message) {
  SocketResponseWriter writer(connection.fd, false, true, false);
  send_status_error(writer, status, message, status == 503 ? retry_after() : HeaderList{});
  ::shutdown(connection.fd, SHUT_WR);
  connection.phase = Phase::closing;
  connection.since = Clock::now();
  set_deadline_locked(connection, connection.since + kLinger);
  arm_locked(connection);
}

// Closes what has passed its deadline: idle connections quietly, incomplete
// heads with 408, lingering ones.
void Server::State::sweep() {
  std::lock_guard lock(mutex);
  auto now = Clock::now();
  if (now < next_sweep) return;
  next_sweep = Clock::time_point::max();
  if (accept_resumes != Clock::time_point::max()) {
    if (accept_resumes <= now) {
      accept_resumes = Clock::time_point::max();
      if (spare_fd < 0) spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      epoll_event listening{};
      listening.events = EPOLLIN;
      listening.data.u64 = kListenId;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &listening);
    } else {
      next_sweep = accept_resumes;
    }
  }
  for (auto iterator = connections.begin(); iterator != connections.end();) {
    auto& connection = *iterator->second;
    ++iterator;
    if (connection.phase == Phase::busy) continue;
    if (connection.deadline > now) {
      if (connection.deadline < next_sweep) next_sweep = connection.deadline;
      continue;
    }
    if (connection.phase == Phase::head || connection.phase == Phase::body) {
      SocketResponseWriter writer(connection.fd, false, true, false);
      bool head = connection.phase == Phase::head;
      send_status_error(writer, 408,
                        std::string("the request ") + (head ? "head" : "body") + " did not arrive within " +
                            std::to_string((head ? options.head_timeout : options.body_timeout).count()) + " ms");
    }
    close_locked(connection);
  }
}

void Server::State::join_ended_workers() {
  std::vector<std::thread> ended;
  {
    std::lock_guard lock(mutex);
    for (auto id : ended_workers) {
      auto found = workers.find(id);
      if (found == workers.end()) continue;
      ended.push_back(std::move(found->second));
      workers.erase(found);
    }
    ended_workers.clear();
  }
  for (auto& thread : ended) thread.join();
}

// ---------------------------------------------------------------------------
// The workers

void Server::State::spawn_worker_locked() {
  auto id = next_worker_id++;
  ++live_workers;
  workers.emplace(id, std::thread([this, id] { worker(id); }));
}

void Server::State::worker(uint64_t id) {
  std::unique_lock lock(mutex);
  while (true) {
    ++idle_workers;
    bool woken = work_changed.wait_for(lock, options.worker_idle_timeout,
                                       [&] { return !jobs.empty() || workers_stop; });
    --idle_workers;
    if (jobs.empty()) {
      if (workers_stop || !woken) break;
      continue;
    }
    auto job = std::move(jobs.front());
    jobs.pop_front();
    lock.unlock();
    serve(std::move(job));
    lock.lock();
  }
  --live_workers;
  ended_workers.push_back(id);
  lock.unlock();
  if (options.on_worker_exit) options.on_worker_exit();
  wake();  // the loop joins this thread
}

void Server::State::serve(Job job) {
  auto& connection = *job.connection;
  int fd = connection.fd;
  Request request = std::move(job.request);
  BodyFraming framing = job.framing;
  while (true) {
    try {
      if (framing.expects_continue) {
        if (!framing.chunked && framing.content_length > options.max_body_bytes)
          throw HeadError(413, "request body larger than the limit of " + std::to_string(options.max_body_bytes) +
                                   " bytes");
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        ::send(fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
      }
      request.body = connection.reader.read_body(framing, options.max_body_bytes, Clock::now() + options.body_timeout);
      release_slow_body_slot(connection);
    } catch (const HeadError& error) {
      // The rest of the request cannot be trusted to be framed: answer and close.
      SocketResponseWriter writer(fd, false, true);
      send_status_error(writer, error.status(), error.what());
      discard_unread_input(fd);
      close_from_worker(connection);
      return;
    }
    request.remote_address = connection.remote;

    SocketResponseWriter writer(fd, framing.keep_alive, !framing.http_1_0);
    {
      std::lock_guard lock(mutex);
      active_writers.insert(&writer);
    }
    if (stopping.load()) writer.shut_down();
    auto watch = watcher->watch(fd, [&writer] { writer.mark_gone(); });
    handle(request, writer);
    watcher->unwatch(watch);
    {
      std::lock_guard lock(mutex);
      active_writers.erase(&writer);
    }
    if (!writer.reusable() || stopping.load()) {
      close_from_worker(connection);
      return;
    }
    // A pipelined request already here is served at once, and so is one
    // that arrives within `keep_alive_linger` unless a queued request needs
    // this worker (a busy client sends its next request at once: this spares
    // it a trip through the loop; without it bench/serve's throughput at 64
    // clients fell to a third to a half). Otherwise the connection goes back
    // to the loop to wait for its next request.
    try {
      auto head = connection.reader.take_head(options.max_header_bytes);
      if (!head && linger(connection)) head = connection.reader.take_head(options.max_header_bytes);
      if (!head) {
        if (connection.reader.closed()) {
          close_from_worker(connection);
          return;
        }
        break;
      }
      request = Request{};
      framing = parse_request_head(*head, request);
    } catch (const HeadError& error) {
      SocketResponseWriter refusal(fd, false, true);
      send_status_error(refusal, error.status(), error.what());
      discard_unread_input(fd);
      close_from_worker(connection);
      return;
    }
    // The next body, like the first, is waited for by the loop or within a
    // slow-body slot, never by this worker at will.
    bool wake_loop = false;
    {
      std::lock_guard lock(mutex);
      if (!stopping.load() && !framing.chunked && framing.content_length <= options.max_body_bytes &&
          hold_for_body_locked(connection, request, framing)) {
        wake_loop = true;
      } else if (framing.chunked || framing.expects_continue ||
                 connection.reader.buffered() < std::min(framing.content_length, options.max_body_bytes + 1)) {
        if (slow_body_readers >= slow_body_slots()) {
          SocketResponseWriter refusal(fd, false, true, false);
          send_status_error(refusal, 503,
                            "weir serve is reading as many slow request bodies as it allows; try again in a moment",
                            retry_after());
          close_locked(connection);
          return;
        }
        ++slow_body_readers;
        connection.reads_body_slowly = true;
      }
    }
    if (wake_loop) {
      wake();  // the loop now owns the connection and its body deadline
      return;
    }
  }
  give_back(connection);
}

// Waits for the connection's next request in short slices, giving up early
// when a queued request needs this worker (every worker busy) or the server
// stops.
bool Server::State::linger(Connection& connection) {
  auto deadline = Clock::now() + options.keep_alive_linger;
  while (true) {
    {
      std::lock_guard lock(mutex);
      if (stopping.load() || (!jobs.empty() && live_workers >= options.max_workers)) return false;
    }
    auto now = Clock::now();
    if (now >= deadline) return false;
    if (connection.reader.wait_for_head(std::min(deadline, now + std::chrono::milliseconds(5)),
                                        options.max_header_bytes)) return true;
    if (connection.reader.closed()) return false;
  }
}

void Server::State::give_back(Connection& connection) {
  bool earlier;
  {
    std::lock_guard lock(mutex);
    if (stopping.load()) {  // the loop is draining: it no longer waits for requests
      close_locked(connection);
      return;
    }
    auto now = Clock::now();
    connection.since = now;
    if (connection.reader.has_pending()) {
      connection.phase = Phase::head;  // part of the next head is here already
    } else {
      connection.phase = Phase::idle;
      connection.reader.release_memory();
    }
    auto deadline = now + (connection.phase == Phase::head ? options.head_timeout : options.idle_timeout);
    earlier = deadline < next_sweep;
    set_deadline_locked(connection, deadline);
    // Under the lock: once idle, the loop may shed and close the connection.
    arm_locked(connection);
  }
  if (earlier) wake();  // the loop may be asleep until a later deadline
}

void Server::State::close_from_worker(Connection& connection) {
  std::lock_guard lock(mutex);
  close_locked(connection);
}

void Server::State::handle(Request& request, SocketResponseWriter& writer) {
  // HEAD is GET without the body (RFC 9110 9.3.2), errors included: a body
  // the client does not expect would be read as the start of its next answer.
  if (request.method == "HEAD") writer.omit_body();
  try {
    if (gatekeeper) gatekeeper(request);
    auto found = routes.find({request.method, request.path});
    if (found == routes.end() && request.method == "HEAD") found = routes.find({"GET", request.path});
    if (found == routes.end()) {
      // The longest "/*" route whose prefix the path extends.
      size_t longest = 0;
      for (auto candidate = routes.begin(); candidate != routes.end(); ++candidate) {
        const auto& [method, path] = candidate->first;
        if (method != request.method || path.size() < 2 || path.compare(path.size() - 2, 2, "/*") != 0) continue;
        size_t prefix = path.size() - 1;  // keeps the '/'
        if (request.path.size() > prefix && request.path.compare(0, prefix, path, 0, prefix) == 0 && prefix > longest) {
          longest = prefix;
          found = candidate;
        }
      }
    }
    if (found == routes.end()) {
      if (routed_paths.count(request.path)) {
        std::string allowed;
        for (const auto& [key, handler] : routes)
          if (key.second == request.path) allowed += (allowed.empty() ? "" : ", ") + key.first;
        if (routes.count({"GET", request.path}) && !routes.count({"HEAD", request.path})) allowed += ", HEAD";
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
    if (error.kind() == ErrorKind::permission && on_refused) on_refused(request);
    if (!writer.answered()) writer.send_error(error);
  } catch (const std::exception& error) {
    if (!writer.answered())
      send_status_error(writer, 500, std::string("internal error: ") + error.what() + " (please report this)");
  }
  if (!writer.answered()) send_status_error(writer, 500, "internal error: the handler gave no answer (please report this)");
  if (writer.streaming() && !writer.finished()) writer.finish();
}

}  // namespace weir::http
