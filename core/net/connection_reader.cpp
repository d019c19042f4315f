#include "core/net/connection_reader.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

namespace weir::http {

namespace {
constexpr size_t kReadSize = 16 * 1024;
}

ConnectionReader::Fill ConnectionReader::fill(std::chrono::milliseconds timeout, bool stop_ends_wait) {
  pollfd waits[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Fill::timeout;
    int ready = ::poll(waits, stop_ends_wait ? 2 : 1, static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Fill::closed;
    }
    if (ready == 0) return Fill::timeout;
    if (stop_ends_wait && (waits[1].revents & POLLIN) && !(waits[0].revents & POLLIN)) return Fill::stopped;
    compact();
    auto old_size = buffer_.size();
    buffer_.resize(old_size + kReadSize);
    auto received = ::recv(fd_, buffer_.data() + old_size, kReadSize, 0);
    if (received < 0) {
      buffer_.resize(old_size);
      if (errno == EINTR || errno == EAGAIN) continue;
      return Fill::closed;
    }
    buffer_.resize(old_size + static_cast<size_t>(received));
    return received == 0 ? Fill::closed : Fill::data;
  }
}

void ConnectionReader::compact() {
  if (start_ == 0) return;
  buffer_.erase(0, start_);
  start_ = 0;
}

std::string ConnectionReader::take(size_t count) {
  std::string piece = buffer_.substr(start_, count);
  start_ += count;
  return piece;
}

std::optional<std::string> ConnectionReader::read_head(size_t max_bytes, std::chrono::milliseconds idle_timeout,
                                                       std::chrono::milliseconds read_timeout) {
  auto too_large = [max_bytes] {
    return HeadError(431, "request head larger than " + std::to_string(max_bytes) + " bytes");
  };
  size_t searched = 0;
  while (true) {
    std::string_view pending(buffer_.data() + start_, available());
    // Blank lines before a request line are allowed (RFC 9112 2.2).
    while (pending.substr(0, 2) == "\r\n") {
      start_ += 2;
      pending.remove_prefix(2);
    }
    auto end = pending.find("\r\n\r\n", searched > 3 ? searched - 3 : 0);
    if (end != std::string_view::npos) {
      // One read can bring a whole head, blank line included, larger than the
      // limit: the limit holds for it too, not only for a head still arriving.
      if (end > max_bytes) throw too_large();
      auto head = take(end);
      start_ += 4;
      return head;
    }
    searched = pending.size();
    if (pending.size() > max_bytes) throw too_large();
    bool started = !pending.empty();
    switch (fill(started ? read_timeout : idle_timeout, !started)) {
      case Fill::data: break;
      case Fill::closed:
        if (started) throw HeadError(400, "the connection closed in the middle of a request head");
        return std::nullopt;
      case Fill::timeout:
        if (started) throw HeadError(408, "the request head did not arrive in time");
        return std::nullopt;
      case Fill::stopped: return std::nullopt;
    }
  }
}

std::string ConnectionReader::read_exactly(size_t count, std::chrono::milliseconds read_timeout) {
  while (available() < count) {
    auto result = fill(read_timeout, false);
    if (result == Fill::timeout) throw HeadError(408, "the request body did not arrive in time");
    if (result != Fill::data) throw HeadError(400, "the connection closed before the whole request body arrived");
  }
  return take(count);
}

std::string ConnectionReader::read_line(size_t max_bytes, std::chrono::milliseconds read_timeout) {
  while (true) {
    std::string_view pending(buffer_.data() + start_, available());
    auto end = pending.find("\r\n");
    if (end != std::string_view::npos) {
      auto line = take(end);
      start_ += 2;
      return line;
    }
    if (pending.size() > max_bytes) throw HeadError(400, "malformed chunked body: a chunk-size line is too long");
    auto result = fill(read_timeout, false);
    if (result == Fill::timeout) throw HeadError(408, "the request body did not arrive in time");
    if (result != Fill::data) throw HeadError(400, "the connection closed before the whole request body arrived");
  }
}

std::string ConnectionReader::read_body(const BodyFraming& framing, size_t max_bytes,
                                        std::chrono::milliseconds read_timeout) {
  auto too_large = [max_bytes] {
    return HeadError(413, "request body larger than the limit of " + std::to_string(max_bytes) + " bytes");
  };
  if (!framing.chunked) {
    if (framing.content_length > max_bytes) throw too_large();
    return read_exactly(framing.content_length, read_timeout);
  }
  std::string body;
  while (true) {
    auto line = read_line(1024, read_timeout);
    std::string_view size_text = line;
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions are ignored
    while (!size_text.empty() && (size_text.back() == ' ' || size_text.back() == '\t')) size_text.remove_suffix(1);
    size_t size = 0;
    auto [end, problem] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (problem != std::errc() || end != size_text.data() + size_text.size() || size_text.empty())
      throw HeadError(400, "malformed chunked body: bad chunk size '" + std::string(size_text) + "'");
    if (size == 0) break;
    if (size > max_bytes - body.size()) throw too_large();
    body += read_exactly(size, read_timeout);
    if (read_exactly(2, read_timeout) != "\r\n") throw HeadError(400, "malformed chunked body: a chunk does not end with CRLF");
  }
  // Trailer fields, ignored, up to the blank line.
  size_t trailer_bytes = 0;
  while (true) {
    auto line = read_line(8192, read_timeout);
    if (line.empty()) break;
    trailer_bytes += line.size();
    if (trailer_bytes > 65536) throw HeadError(400, "malformed chunked body: trailers too large");
  }
  return body;
}

}  // namespace weir::http
