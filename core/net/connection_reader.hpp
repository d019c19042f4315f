// ConnectionReader — the bytes of one client connection, turned into request
// heads and bodies: the head up to its blank line, then the body framed by
// Content-Length or chunked transfer coding, with size limits and a total
// deadline, so a slow or hostile client costs a bounded time and a bounded
// amount of memory.
//
// Heads are read without waiting (http::Server's event loop calls receive()
// when the socket is readable, then take_head()), so a connection whose head
// is still arriving holds no thread. Bodies are read by the worker serving
// the request, waiting at most until a deadline for the whole body (not per
// read: a client that drips a byte at a time still ends in time).
//
// Contract: receive() reads what the socket holds now and never waits.
// take_head() returns the next complete head, or nullopt while its blank line
// has not arrived; it throws HeadError 431 when the head outgrows its limit.
// read_body() throws 413 past the body limit (before reading it all), 400 for
// broken chunk framing or a body cut short, 408 when the deadline passes.
// Bytes that follow a request (pipelining) are kept for the next take_head().
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/net/request_head.hpp"

namespace weir::http {

class ConnectionReader {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Receive { data, nothing_yet, closed };

  explicit ConnectionReader(int fd) : fd_(fd) {}

  Receive receive();
  std::optional<std::string> take_head(size_t max_bytes);
  // Bytes of a next request are already here (blank lines before a request
  // line do not count: RFC 9112 2.2 lets a client send them).
  bool has_pending();
  std::string read_body(const BodyFraming& framing, size_t max_bytes, Clock::time_point deadline);
  // Waits until a whole head is buffered (true), or the deadline passes or
  // the client closes (false; closed() tells which). Throws nothing.
  // Also true once more than `max_bytes` are buffered with no blank line
  // (take_head() then refuses the head), so a client cannot make it buffer
  // without bound.
  bool wait_for_head(Clock::time_point deadline, size_t max_bytes);
  bool closed() const { return closed_; }
  // Bytes buffered and not yet taken (a body that is all here needs no wait).
  size_t buffered() const { return available(); }
  // Frees the buffer's memory once it is empty (a connection waiting for its
  // next request should cost next to nothing).
  void release_memory();
  // Drops everything buffered (a refused connection's input).
  void discard_pending();

 private:
  enum class Fill { data, closed, timeout };
  Fill fill(Clock::time_point deadline);
  // Bytes buffered and not yet consumed.
  size_t available() const { return buffer_.size() - start_; }
  void append(const char* bytes, size_t count);
  void skip_blank_lines();
  std::string take(size_t count);
  std::string read_exactly(size_t count, Clock::time_point deadline);
  std::string read_line(size_t max_bytes, Clock::time_point deadline);

  int fd_;
  std::string buffer_;
  size_t start_ = 0;
  bool closed_ = false;
};

}  // namespace weir::http
