// http::Server hands every accepted connection to a thread, reusing idle
// ones. A burst of connections arriving while fewer threads are idle must
// still get a thread each: weir_bench_serve once saw a keep-alive connection
// wait 30 s for an answer after a quiet spell had left one idle thread.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/net/server.hpp"

using namespace weir;

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

// Sends a keep-alive GET and waits up to `timeout` for the whole answer.
bool answered_within(int fd, std::chrono::milliseconds timeout) {
  static const std::string request = "GET /ping HTTP/1.1\r\nHost: test\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return false;
  std::string received;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received.find("\r\n\r\npong") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
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

}  // namespace

TEST_CASE("http::Server: a burst of keep-alive connections each gets a thread, however many were idle") {
  http::Server server(http::ServerOptions{});
  server.route("GET", "/ping", [](const http::Request&, http::ResponseWriter& response) {
    response.send(200, "text/plain", "pong");
  });
  server.listen();
  std::thread runner([&server] { server.run(); });

  // Each round closes its connections, leaving their threads idle, then opens
  // a larger burst at once, all kept open until every one is answered.
  size_t burst = 1;
  for (int round = 0; round < 6; ++round, burst *= 2) {
    std::vector<int> connections;
    for (size_t index = 0; index < burst; ++index) connections.push_back(connect_to(server.port()));
    size_t answered = 0;
    for (int fd : connections) answered += answered_within(fd, std::chrono::seconds(3)) ? 1 : 0;
    CHECK_MESSAGE(answered == burst, "round " << round << ": " << answered << " of " << burst << " connections answered");
    for (int fd : connections) ::close(fd);
    // Once the server has seen the closes, its threads are idle again.
    REQUIRE(server.wait_until_no_connections(std::chrono::seconds(10)));
  }

  server.stop(std::chrono::milliseconds(0));
  runner.join();
}
