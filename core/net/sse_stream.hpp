// SseStream — a text/event-stream answer written as events arrive, begun
// lazily so that a request failing before its first event still gets a plain
// HTTP error status instead of a 200 stream with an error inside.
//
// Contract: event() and comment() begin the stream (200, text/event-stream)
// if it has not begun, then write one event ("data: ...\n\n") or comment
// (": ...\n\n"); both return false once the client is gone. They are
// thread-safe, so a KeepAliveTicker may comment from its own thread while the
// handler's thread writes events. idle_for() is the time since the last write.
#pragma once

#include <chrono>
#include <mutex>
#include <string_view>

#include "core/net/response_writer.hpp"

namespace weir::http {

class SseStream {
 public:
  explicit SseStream(ResponseWriter& writer) : writer_(writer), last_write_(std::chrono::steady_clock::now()) {}

  bool event(std::string_view data);
  bool comment(std::string_view text);
  bool begun() const;
  // Headers for the stream's head, when it has not begun yet (later: ignored,
  // and false).
  bool set_headers(HeaderList headers);
  std::chrono::steady_clock::duration idle_for() const;

 private:
  bool write_locked(std::string_view prefix, std::string_view text);
  ResponseWriter& writer_;
  mutable std::mutex mutex_;
  bool begun_ = false;
  HeaderList headers_;
  std::chrono::steady_clock::time_point last_write_;
};

}  // namespace weir::http
