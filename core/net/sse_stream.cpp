#include "core/net/sse_stream.hpp"

#include <string>

namespace weir::http {

bool SseStream::write_locked(std::string_view prefix, std::string_view text) {
  if (!begun_) {
    writer_.begin_stream(200, "text/event-stream; charset=utf-8", headers_);
    begun_ = true;
  }
  std::string piece;
  piece.reserve(prefix.size() + text.size() + 2);
  piece.append(prefix).append(text).append("\n\n");
  last_write_ = std::chrono::steady_clock::now();
  return writer_.write(piece);
}

bool SseStream::event(std::string_view data) {
  std::lock_guard lock(mutex_);
  return write_locked("data: ", data);
}

bool SseStream::comment(std::string_view text) {
  std::lock_guard lock(mutex_);
  return write_locked(": ", text);
}

bool SseStream::set_headers(HeaderList headers) {
  std::lock_guard lock(mutex_);
  if (begun_) return false;
  headers_ = std::move(headers);
  return true;
}

bool SseStream::begun() const {
  std::lock_guard lock(mutex_);
  return begun_;
}

std::chrono::steady_clock::duration SseStream::idle_for() const {
  std::lock_guard lock(mutex_);
  return std::chrono::steady_clock::now() - last_write_;
}

}  // namespace weir::http
