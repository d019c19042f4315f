// ConnectionReader over a socket pair: the limits hold however the client's
// bytes arrive (found by fuzz/fuzz_http_request).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "core/net/connection_reader.hpp"

using namespace weir::http;

namespace {
// A client that sent `bytes` and closed its side, and the server's end.
struct ClosedClient {
  int sockets[2] = {-1, -1};
  explicit ClosedClient(const std::string& bytes) {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets) == 0);
    REQUIRE(::send(sockets[1], bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
    ::shutdown(sockets[1], SHUT_WR);
  }
  ~ClosedClient() {
    for (int fd : sockets) ::close(fd);
  }
};

// The next head as the server's event loop reads it (receive, then take_head).
std::optional<std::string> next_head(ConnectionReader& reader, size_t max_bytes) {
  while (true) {
    if (auto head = reader.take_head(max_bytes)) return head;
    if (reader.receive() == ConnectionReader::Receive::closed) return reader.take_head(max_bytes);
  }
}

int read_head_status(const std::string& bytes, size_t max_bytes) {
  ClosedClient client(bytes);
  ConnectionReader reader(client.sockets[0]);
  try {
    next_head(reader, max_bytes);
    return 0;
  } catch (const HeadError& error) {
    return error.status();
  }
}
}  // namespace

TEST_CASE("connection reader: a head over the limit is 431 even when it arrives whole in one read") {
  std::string head = "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  CHECK(read_head_status(head, 1024) == 431);
  // Within the limit the same shape is read.
  CHECK(read_head_status("GET /" + std::string(900, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 1024) == 0);
}

TEST_CASE("connection reader: a head exactly at the limit is read; a pipelined one after it still counts alone") {
  std::string first = "GET / HTTP/1.1\r\nX: " + std::string(100, 'x');
  std::string second = "GET /2 HTTP/1.1\r\nHost: a";
  ClosedClient client(first + "\r\n\r\n" + second + "\r\n\r\n");
  ConnectionReader reader(client.sockets[0]);
  auto head = next_head(reader, first.size());
  REQUIRE(head);
  CHECK(*head == first);
  auto next = next_head(reader, first.size());
  REQUIRE(next);
  CHECK(*next == second);
}
