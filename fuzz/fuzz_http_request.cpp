// Fuzz target: the HTTP/1.1 request reader of `weir serve`
// (core/net/connection_reader + core/net/request_head), fed everything a
// client sends on one connection, pipelined requests included. The bytes go
// through a socket pair, closed after them, so the reader runs its real
// recv/poll path.
//
// Invariants besides "no crash, no sanitizer report":
// - no head longer than the limit is accepted;
// - an accepted request has a token method, a target starting with "/" whose
//   path and query put back together are the target, lower-case header names
//   and no CR, LF or NUL in any value; never both Content-Length and chunked;
// - a body is never larger than its limit, and a Content-Length body has
//   exactly that length;
// - refusals carry the statuses the contracts name, and a client that has
//   closed is never waited for (no 408).
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/net/connection_reader.hpp"
#include "core/net/request_head.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using weir::fuzz::check;

// Small limits, so that inputs of a few KiB reach them.
constexpr size_t kMaxHeadBytes = 1024;
constexpr size_t kMaxBodyBytes = 2048;
constexpr int kMaxRequestsPerConnection = 16;
// Never reached: the client side is shut down before reading starts.
constexpr std::chrono::milliseconds kTimeout{10'000};

bool one_of(int status, std::initializer_list<int> allowed) {
  return std::find(allowed.begin(), allowed.end(), status) != allowed.end();
}

void check_request(const weir::http::Request& request, const weir::http::BodyFraming& framing) {
  check(!request.method.empty(), "the method is not empty");
  check(!request.target.empty() && request.target.front() == '/', "the target starts with /");
  check(request.path + (request.target.find('?') == std::string::npos ? "" : "?" + request.query) == request.target,
        "path and query put together are the target");
  bool has_length = false;
  for (const auto& [name, value] : request.headers) {
    check(!name.empty() && std::none_of(name.begin(), name.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }),
          "header names are non-empty and lower case");
    check(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos, "no CR, LF or NUL in a header value");
    if (name == "content-length") has_length = true;
  }
  check(!(has_length && framing.chunked), "never both Content-Length and chunked");
}

// The next head as the server's event loop gets it: receive() what the
// socket holds, take_head() once its blank line is here; nullopt when the
// client closed first (with or without half a head).
std::optional<std::string> next_head(weir::http::ConnectionReader& reader) {
  while (true) {
    if (auto head = reader.take_head(kMaxHeadBytes)) return head;
    if (reader.receive() == weir::http::ConnectionReader::Receive::closed) return reader.take_head(kMaxHeadBytes);
  }
}

// One connection: reads requests until the input ends, a request is refused
// or the client asks to close.
void serve_connection(int fd) {
  weir::http::ConnectionReader reader(fd);
  for (int count = 0; count < kMaxRequestsPerConnection; ++count) {
    std::optional<std::string> head;
    try {
      head = next_head(reader);
    } catch (const weir::http::HeadError& error) {
      check(error.status() == 431, "a head is refused while being read only for its size: 431");
      return;
    }
    if (!head) return;
    check(head->size() <= kMaxHeadBytes, "no head longer than the limit is accepted");

    weir::http::Request request;
    weir::http::BodyFraming framing;
    try {
      framing = weir::http::parse_request_head(*head, request);
    } catch (const weir::http::HeadError& error) {
      check(one_of(error.status(), {400, 417, 501, 505}), "a refused head is 400, 417, 501 or 505");
      return;
    }
    check_request(request, framing);

    try {
      auto body = reader.read_body(framing, kMaxBodyBytes, std::chrono::steady_clock::now() + kTimeout);
      check(body.size() <= kMaxBodyBytes, "no body larger than the limit is accepted");
      check(framing.chunked || body.size() == framing.content_length, "a Content-Length body has that length");
    } catch (const weir::http::HeadError& error) {
      check(one_of(error.status(), {400, 413}), "a bad body is 400 or 413 (never a wait: 408)");
      return;
    }
    if (!framing.keep_alive) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int sockets[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets) == 0, "socketpair()");
  // scripts/fuzz keeps inputs far below a socket pair's buffer, so the whole
  // input is written before the server side reads.
  size_t written = 0;
  while (written < size) {
    auto count = ::send(sockets[1], data + written, size - written, MSG_NOSIGNAL);
    check(count > 0, "the input fits in the socket buffer");
    written += static_cast<size_t>(count);
  }
  ::shutdown(sockets[1], SHUT_WR);
  serve_connection(sockets[0]);
  ::close(sockets[0]);
  ::close(sockets[1]);
  return 0;
}
