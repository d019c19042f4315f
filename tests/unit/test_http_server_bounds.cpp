// http::Server's connection model under abuse (issue 23): floods of idle and
// of dripping connections, a total deadline for the request head, 503 with
// Retry-After when saturated instead of a client stuck in the accept queue,
// workers (and what they hold) given back after a burst, and the HTTP rules
// of the head (Host, HEAD, 501's code). Against an in-process server with
// small caps and short, injected timeouts; nothing here sleeps: every wait
// is for an observed event (an answer, an EOF, a count in /proc) with a
// generous bound.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/net/http_client.hpp"
#include "core/net/open_file_limit.hpp"
#include "core/net/server.hpp"
#include "core/store/database_pool.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

void send_text(int fd, const std::string& text) {
  REQUIRE(::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
}

// Reads until `needle` arrived (true), or EOF / the timeout (false).
bool read_until(int fd, std::string& received, const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (received.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    auto count = ::recv(fd, buffer, sizeof buffer, 0);
    if (count <= 0) return false;
    received.append(buffer, static_cast<size_t>(count));
  }
  return true;
}

// Reads to the end of the connection; false if it is still open at the timeout.
bool read_to_eof(int fd, std::string& received, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    auto count = ::recv(fd, buffer, sizeof buffer, 0);
    if (count <= 0) return true;
    received.append(buffer, static_cast<size_t>(count));
  }
}

// One GET on a fresh connection; the whole reply, or "" if none came in time.
std::string get(int port, const std::string& path, std::chrono::milliseconds timeout = 5s,
                const std::string& method = "GET") {
  int fd = connect_to(port);
  send_text(fd, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  std::string received;
  bool ended = read_to_eof(fd, received, timeout);
  ::close(fd);
  return ended ? received : std::string();
}

size_t count_entries(const char* directory) {
  size_t count = 0;
  if (DIR* listing = ::opendir(directory)) {
    while (auto* entry = ::readdir(listing))
      if (entry->d_name[0] != '.') ++count;
    ::closedir(listing);
  }
  return count;
}
size_t thread_count() { return count_entries("/proc/self/task"); }
size_t open_descriptors() { return count_entries("/proc/self/fd") - 1; }  // minus opendir's own

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 20s) {
  auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// A server on a free port, run on a thread of its own, with /healthz and
// whatever routes the test adds before start().
struct RunningServer {
  http::Server server;
  std::thread runner;
  explicit RunningServer(http::ServerOptions options) : server(std::move(options)) {
    server.route("GET", "/healthz", [](const http::Request&, http::ResponseWriter& response) {
      response.send(200, "application/json", R"({"status":"ok"})");
    });
  }
  void start() {
    server.listen();
    runner = std::thread([this] { server.run(); });
  }
  ~RunningServer() {
    server.stop(0ms);
    if (runner.joinable()) runner.join();
  }
  int port() const { return server.port(); }
};

// Holds handlers until released, counting those that arrived.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  size_t arrived = 0;
  bool open = false;
  void pass() {
    std::unique_lock lock(mutex);
    ++arrived;
    changed.notify_all();
    changed.wait_for(lock, 30s, [&] { return open; });
  }
  bool wait_for_arrivals(size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 20s, [&] { return arrived >= count; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    changed.notify_all();
  }
};

}  // namespace

TEST_CASE("http::Server: a flood of idle connections beyond the cap still lets a new client in at once") {
  http::ServerOptions options;
  options.max_connections = 32;
  options.shed_grace = 0ms;
  RunningServer running(options);
  running.start();
  std::vector<int> flood;
  for (int index = 0; index < 100; ++index) flood.push_back(connect_to(running.port()));
  // Old model: at the cap, new clients waited in the kernel's accept queue
  // until an idle connection timed out (60 s).
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto started = Clock::now();
    auto reply = get(running.port(), "/healthz");
    CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(Clock::now() - started < 10s);
  }
  CHECK(running.server.open_connections() <= options.max_connections);
  for (int fd : flood) ::close(fd);
}

TEST_CASE("http::Server: requests whose bodies never come hold no worker; a body sent in pieces is served whole") {
  http::ServerOptions options;
  options.max_connections = 64;
  options.max_workers = 2;
  options.shed_grace = 0ms;
  RunningServer running(options);
  running.server.route("POST", "/echo", [](const http::Request& request, http::ResponseWriter& response) {
    response.send(200, "text/plain", "got " + std::to_string(request.body.size()) + ": " + request.body);
  });
  running.start();
  // More heads than workers and queue, each promising a body that never
  // comes: before, every worker waited on one for the body timeout (120 s).
  std::vector<int> flood;
  for (int index = 0; index < 20; ++index) {
    flood.push_back(connect_to(running.port()));
    send_text(flood.back(), "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n");
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto started = Clock::now();
    CHECK(get(running.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);
    CHECK(Clock::now() - started < 10s);
  }
  // One of them sends its body after all, in two pieces: it is answered whole.
  send_text(flood[3], std::string(60, 'a'));
  send_text(flood[3], std::string(40, 'b'));
  std::string received;
  CHECK(read_until(flood[3], received, "got 100: " + std::string(60, 'a') + std::string(40, 'b'), 10s));
  for (int fd : flood) ::close(fd);
}

TEST_CASE("http::Server: a request body that stops arriving gets 408 at the body deadline") {
  http::ServerOptions options;
  options.body_timeout = 200ms;
  RunningServer running(options);
  running.server.route("POST", "/echo", [](const http::Request&, http::ResponseWriter& response) {
    response.send(200, "text/plain", "unexpected");
  });
  running.start();
  int client = connect_to(running.port());
  send_text(client, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc");
  std::string received;
  CHECK(read_until(client, received, "408", 10s));
  CHECK(received.find("request body did not arrive") != std::string::npos);
  ::close(client);
}

TEST_CASE("http::Server: a HEAD that is refused or unknown is answered without a body") {
  http::ServerOptions options;
  RunningServer running(options);
  running.start();
  int client = connect_to(running.port());
  send_text(client, "HEAD /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::string received;
  REQUIRE(read_until(client, received, "\"status\":\"ok\"", 10s));
  // The 404 carries no body: the next bytes are the GET's status line.
  auto first_end = received.find("\r\n\r\n");
  REQUIRE(first_end != std::string::npos);
  CHECK(received.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(received.compare(first_end + 4, 12, "HTTP/1.1 200") == 0);
  ::close(client);
}

TEST_CASE("http::Server: a flood of incomplete request heads holds no worker and sheds the slowest") {
  http::ServerOptions options;
  options.max_connections = 32;
  options.max_workers = 2;
  options.shed_grace = 0ms;
  RunningServer running(options);
  running.start();
  std::vector<int> flood;
  for (int index = 0; index < 100; ++index) {
    flood.push_back(connect_to(running.port()));
    send_text(flood.back(), "GET /healthz HTTP/1.1\r\nHo");
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto started = Clock::now();
    CHECK(get(running.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);
    CHECK(Clock::now() - started < 10s);
  }
  // Incomplete heads are read by the event loop: no worker was started for them.
  CHECK(running.server.live_workers() <= options.max_workers);
  for (int fd : flood) ::close(fd);
}

TEST_CASE("http::Server: the request head has a total deadline; a client dripping bytes is answered 408 and closed") {
  http::ServerOptions options;
  options.head_timeout = 200ms;
  RunningServer running(options);
  running.start();
  int dripping = connect_to(running.port());
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  send_text(dripping, head);
  auto started = Clock::now();
  // One byte at a time, each well within any per-read timeout; the old
  // server restarted its 30 s timeout with every byte and never closed.
  std::string received;
  bool closed = false;
  while (Clock::now() - started < 10s) {
    pollfd readable{dripping, POLLIN, 0};
    if (::poll(&readable, 1, 20) > 0) {  // paces the drip; the event awaited is the server's close
      closed = read_to_eof(dripping, received, 5s);
      break;
    }
    ::send(dripping, "x", 1, MSG_NOSIGNAL);
  }
  CHECK(closed);
  CHECK(received.rfind("HTTP/1.1 408", 0) == 0);
  CHECK(received.find("request_timeout") != std::string::npos);
  CHECK(Clock::now() - started >= 150ms);
  ::close(dripping);
  // Meanwhile and after, others are served.
  CHECK(get(running.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("http::Server: a request body has a total deadline too") {
  http::ServerOptions options;
  options.body_timeout = 200ms;
  RunningServer running(options);
  running.server.route("POST", "/echo", [](const http::Request& request, http::ResponseWriter& response) {
    response.send(200, "text/plain", request.body);
  });
  running.start();
  int fd = connect_to(running.port());
  send_text(fd, "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n");
  auto started = Clock::now();
  std::string received;
  while (Clock::now() - started < 10s) {
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, 20) > 0) {
      read_to_eof(fd, received, 5s);
      break;
    }
    ::send(fd, "y", 1, MSG_NOSIGNAL);
  }
  CHECK(received.rfind("HTTP/1.1 408", 0) == 0);
  ::close(fd);
}

TEST_CASE("http::Server: when every worker is busy and the queue is full, 503 with Retry-After at once") {
  http::ServerOptions options;
  options.max_workers = 1;
  options.max_queued_requests = 1;
  options.retry_after = std::chrono::seconds(3);
  RunningServer running(options);
  Gate gate;
  running.server.route("GET", "/slow", [&gate](const http::Request&, http::ResponseWriter& response) {
    gate.pass();
    response.send(200, "text/plain", "done");
  });
  running.start();
  int busy = connect_to(running.port());
  send_text(busy, "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  REQUIRE(gate.wait_for_arrivals(1));
  int queued = connect_to(running.port());
  send_text(queued, "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  // The queued one is in the queue once a third is refused; retry until then.
  std::string refused;
  REQUIRE(eventually([&] {
    refused = get(running.port(), "/healthz", 5s);
    return refused.rfind("HTTP/1.1 503", 0) == 0;
  }));
  CHECK(refused.find("Retry-After: 3\r\n") != std::string::npos);
  CHECK(refused.find("server_overloaded") != std::string::npos);
  gate.release();
  std::string first, second;
  CHECK(read_until(busy, first, "done", 10s));
  CHECK(read_until(queued, second, "done", 10s));
  ::close(busy);
  ::close(queued);
}

TEST_CASE("http::Server: over the connection cap with every connection busy, the new one gets 503 + Retry-After") {
  http::ServerOptions options;
  options.max_connections = 2;
  options.max_workers = 2;
  RunningServer running(options);
  Gate gate;
  running.server.route("GET", "/slow", [&gate](const http::Request&, http::ResponseWriter& response) {
    gate.pass();
    response.send(200, "text/plain", "done");
  });
  running.start();
  std::vector<int> busy;
  for (int index = 0; index < 2; ++index) {
    busy.push_back(connect_to(running.port()));
    send_text(busy.back(), "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  }
  REQUIRE(gate.wait_for_arrivals(2));
  auto refused = get(running.port(), "/healthz");
  CHECK(refused.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(refused.find("Retry-After: 1\r\n") != std::string::npos);
  gate.release();
  for (int fd : busy) {
    std::string received;
    CHECK(read_until(fd, received, "done", 10s));
    ::close(fd);
  }
  CHECK(eventually([&] { return get(running.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0; }));
}

TEST_CASE("http::Server: after a burst, idle workers end and give back their threads, store connections and curl handles") {
  testing::FakeUpstream upstream;
  testing::WeirHome home;
  DatabasePool pool(resolve_paths(home.path()));
  // Warm up what lives for the whole process (libcurl, the store's first
  // opening, the fake upstream's threads), then take the baseline.
  {
    auto lease = pool.acquire();
    fetch_http({"GET", upstream.base_url() + "/models", {}, {}}, CancelToken{});
  }
  pool.close_one_idle();

  constexpr size_t kBurst = 6;  // within the fake upstream's thread pool (8): each holds a keep-alive connection
  http::ServerOptions options;
  options.max_workers = kBurst;
  options.max_queued_requests = kBurst;
  options.worker_idle_timeout = 100ms;
  std::atomic<size_t> ended{0};
  options.on_worker_exit = [&pool, &ended] {
    pool.close_one_idle();
    ++ended;
  };
  RunningServer running(options);
  Gate gate;
  running.server.route("GET", "/work", [&](const http::Request&, http::ResponseWriter& response) {
    auto lease = pool.acquire();  // a store connection, as a chat completion takes
    auto answer = fetch_http({"GET", upstream.base_url() + "/models", {}, {}}, CancelToken{});  // a curl handle
    gate.pass();  // every request in flight at once, so each has a worker
    response.send(200, "application/json", answer.body);
  });
  running.start();
  REQUIRE(running.server.wait_until_no_connections(5s));
  auto threads_before = thread_count();
  auto descriptors_before = open_descriptors();

  std::vector<int> clients;
  for (size_t index = 0; index < kBurst; ++index) {
    clients.push_back(connect_to(running.port()));
    send_text(clients.back(), "GET /work HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  }
  REQUIRE(gate.wait_for_arrivals(kBurst));
  CHECK(running.server.live_workers() == kBurst);
  CHECK(thread_count() >= threads_before + kBurst);
  gate.release();
  for (int fd : clients) {
    std::string received;
    CHECK(read_until(fd, received, "\r\n\r\n", 10s));
    ::close(fd);
  }
  REQUIRE(running.server.wait_until_no_connections(10s));

  CHECK(eventually([&] { return running.server.live_workers() == 0; }));
  CHECK(eventually([&] { return ended.load() == kBurst; }));  // on_worker_exit runs as each ends
  CHECK(eventually([&] { return thread_count() <= threads_before; }));
  CHECK(pool.idle_count() == 0);
  // Each worker held a store connection (3 descriptors) and a curl handle
  // with its upstream connection; all of it is closed again.
  CHECK(eventually([&] { return open_descriptors() <= descriptors_before; }));
  INFO("descriptors before " << descriptors_before << ", after " << open_descriptors());
}

TEST_CASE("http::Server: HEAD on a GET route answers the GET's status and headers without a body") {
  RunningServer running(http::ServerOptions{});
  running.start();
  int fd = connect_to(running.port());
  send_text(fd, "HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  std::string received;
  REQUIRE(read_until(fd, received, "\r\n\r\n", 5s));
  CHECK(received.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(received.find("Content-Length: 15\r\n") != std::string::npos);
  // No body followed: the next request on the connection is answered as its own.
  send_text(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  REQUIRE(read_to_eof(fd, received, 5s));
  auto second = received.find("HTTP/1.1 200", 1);
  REQUIRE(second != std::string::npos);
  CHECK(received.substr(0, second).find("status") == std::string::npos);
  CHECK(received.substr(second).find(R"({"status":"ok"})") != std::string::npos);
  ::close(fd);
  auto not_allowed = get(running.port(), "/healthz", 5s, "DELETE");
  CHECK(not_allowed.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(not_allowed.find("Allow: GET, HEAD\r\n") != std::string::npos);
}

TEST_CASE("http::Server: no Host or two is 400; an unsupported transfer coding is 501 not_implemented") {
  RunningServer running(http::ServerOptions{});
  running.start();
  auto raw = [&](const std::string& bytes) {
    int fd = connect_to(running.port());
    send_text(fd, bytes);
    std::string received;
    read_to_eof(fd, received, 5s);
    ::close(fd);
    return received;
  };
  CHECK(raw("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  auto gzip = raw("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n");
  CHECK(gzip.rfind("HTTP/1.1 501", 0) == 0);
  CHECK(gzip.find("\"not_implemented\"") != std::string::npos);
  CHECK(gzip.find("internal_error") == std::string::npos);
}

TEST_CASE("open-file budget: caps sized from the limit leave room for workers' store and upstream descriptors") {
  for (size_t limit : {128u, 256u, 1024u, 4096u, 65536u, 1048576u}) {
    auto budget = http::connection_budget(limit);
    INFO("limit " << limit);
    CHECK(budget.max_workers >= 2);
    CHECK(budget.max_queued_requests >= budget.max_workers);
    CHECK(budget.max_connections >= 8);
    if (limit >= 256)
      CHECK(http::kReservedDescriptors + budget.max_connections + budget.max_workers * http::kDescriptorsPerWorker <=
            limit);
  }
  // The soft limit only ever goes up, and never past the hard limit.
  auto raised = http::raise_open_file_limit();
  CHECK(http::raise_open_file_limit() == raised);
}
