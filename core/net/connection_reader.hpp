// ConnectionReader — reads requests off one client connection: the head up
// to its blank line, then the body framed by Content-Length or chunked
// transfer coding, with size limits and timeouts so a slow or hostile client
// costs one thread for a bounded time and a bounded amount of memory.
//
// Contract: read_head() returns nullopt when the connection ends cleanly
// before a request began (the client closed it, it stayed idle past
// `idle_timeout`, or the server is stopping); it throws HeadError 431 when the
// head outgrows its limit, 408 when a started head stops arriving, and 400
// when the connection drops mid-head. read_body() throws 413 past the body
// limit (before reading it all), 400 for broken chunk framing or a body cut
// short, 408 on timeout. Bytes that follow a request (pipelining) are kept for
// the next read_head().
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/net/request_head.hpp"

namespace weir::http {

class ConnectionReader {
 public:
  ConnectionReader(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}

  std::optional<std::string> read_head(size_t max_bytes, std::chrono::milliseconds idle_timeout,
                                       std::chrono::milliseconds read_timeout);
  std::string read_body(const BodyFraming& framing, size_t max_bytes, std::chrono::milliseconds read_timeout);

 private:
  enum class Fill { data, closed, timeout, stopped };
  Fill fill(std::chrono::milliseconds timeout, bool stop_ends_wait);
  // Bytes buffered and not yet consumed.
  size_t available() const { return buffer_.size() - start_; }
  std::string take(size_t count);
  void compact();
  std::string read_exactly(size_t count, std::chrono::milliseconds read_timeout);
  std::string read_line(size_t max_bytes, std::chrono::milliseconds read_timeout);

  int fd_;
  int stop_fd_;
  std::string buffer_;
  size_t start_ = 0;
};

}  // namespace weir::http
