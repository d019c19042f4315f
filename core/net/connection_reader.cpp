#include "core/net/connection_reader.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

namespace weir::http {

namespace {
constexpr size_t kReadSize = 16 * 1024;
}

void ConnectionReader::append(const char* bytes, size_t count) {
  if (start_ > 0 && start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes, count);
}

ConnectionReader::Receive ConnectionReader::receive() {
  char chunk[kReadSize];
  while (true) {
    auto received = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (received > 0) {
      append(chunk, static_cast<size_t>(received));
      return Receive::data;
    }
    if (received == 0) return Receive::closed;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Receive::nothing_yet : Receive::closed;
  }
}

ConnectionReader::Fill ConnectionReader::fill(Clock::time_point deadline) {
  pollfd wait_for{fd_, POLLIN, 0};
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Fill::timeout;
    int ready = ::poll(&wait_for, 1, static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Fill::closed;
    }
    if (ready == 0) return Fill::timeout;
    switch (receive()) {
      case Receive::data: return Fill::data;
      case Receive::nothing_yet: continue;
      case Receive::closed: return Fill::closed;
    }
  }
}

std::string ConnectionReader::take(size_t count) {
  std::string piece = buffer_.substr(start_, count);
  start_ += count;
  return piece;
}

void ConnectionReader::skip_blank_lines() {
  while (available() >= 2 && buffer_[start_] == '\r' && buffer_[start_ + 1] == '\n') start_ += 2;
}

bool ConnectionReader::has_pending() {
  skip_blank_lines();
  return available() > 0;
}

void ConnectionReader::release_memory() {
  if (available() > 0) return;
  buffer_ = std::string();
  start_ = 0;
}

bool ConnectionReader::wait_for_head(Clock::time_point deadline, size_t max_bytes) {
  while (true) {
    // Past the limit take_head() refuses it (431): no point buffering more.
    if (available() > max_bytes) return true;
    std::string_view pending(buffer_.data() + start_, available());
    if (pending.find("\r\n\r\n") != std::string_view::npos) return true;
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd wait_for{fd_, POLLIN, 0};
    timespec timeout{static_cast<time_t>(left.count() / 1'000'000), static_cast<long>(left.count() % 1'000'000) * 1000};
    int ready = ::ppoll(&wait_for, 1, &timeout, nullptr);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    if (receive() == Receive::closed) {
      closed_ = true;
      return false;
    }
  }
}

void ConnectionReader::discard_pending() {
  buffer_.clear();
  start_ = 0;
}

std::optional<std::string> ConnectionReader::take_head(size_t max_bytes) {
  skip_blank_lines();
  std::string_view pending(buffer_.data() + start_, available());
  auto end = pending.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (pending.size() > max_bytes) throw HeadError(431, "request head larger than " + std::to_string(max_bytes) + " bytes");
    return std::nullopt;
  }
  if (end > max_bytes) throw HeadError(431, "request head larger than " + std::to_string(max_bytes) + " bytes");
  auto head = take(end);
  start_ += 4;
  return head;
}

std::string ConnectionReader::read_exactly(size_t count, Clock::time_point deadline) {
  while (available() < count) {
    auto result = fill(deadline);
    if (result == Fill::timeout) throw HeadError(408, "the request body did not arrive in time");
    if (result != Fill::data) throw HeadError(400, "the connection closed before the whole request body arrived");
  }
  return take(count);
}

std::string ConnectionReader::read_line(size_t max_bytes, Clock::time_point deadline) {
  while (true) {
    std::string_view pending(buffer_.data() + start_, available());
    auto end = pending.find("\r\n");
    if (end != std::string_view::npos) {
      auto line = take(end);
      start_ += 2;
      return line;
    }
    if (pending.size() > max_bytes) throw HeadError(400, "malformed chunked body: a chunk-size line is too long");
    auto result = fill(deadline);
    if (result == Fill::timeout) throw HeadError(408, "the request body did not arrive in time");
    if (result != Fill::data) throw HeadError(400, "the connection closed before the whole request body arrived");
  }
}

std::string ConnectionReader::read_body(const BodyFraming& framing, size_t max_bytes, Clock::time_point deadline) {
  auto too_large = [max_bytes] {
    return HeadError(413, "request body larger than the limit of " + std::to_string(max_bytes) + " bytes");
  };
  if (!framing.chunked) {
    if (framing.content_length > max_bytes) throw too_large();
    return read_exactly(framing.content_length, deadline);
  }
  std::string body;
  while (true) {
    auto line = read_line(1024, deadline);
    std::string_view size_text = line;
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions are ignored
    while (!size_text.empty() && (size_text.back() == ' ' || size_text.back() == '\t')) size_text.remove_suffix(1);
    size_t size = 0;
    auto [end, problem] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (problem != std::errc() || end != size_text.data() + size_text.size() || size_text.empty())
      throw HeadError(400, "malformed chunked body: bad chunk size '" + std::string(size_text) + "'");
    if (size == 0) break;
    if (size > max_bytes - body.size()) throw too_large();
    body += read_exactly(size, deadline);
    if (read_exactly(2, deadline) != "\r\n") throw HeadError(400, "malformed chunked body: a chunk does not end with CRLF");
  }
  // Trailer fields, ignored, up to the blank line.
  size_t trailer_bytes = 0;
  while (true) {
    auto line = read_line(8192, deadline);
    if (line.empty()) break;
    trailer_bytes += line.size();
    if (trailer_bytes > 65536) throw HeadError(400, "malformed chunked body: trailers too large");
  }
  return body;
}

}  // namespace weir::http
