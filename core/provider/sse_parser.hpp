// An incremental parser for Server-Sent Events (text/event-stream).
//
// Upstreams stream answers as SSE; bytes arrive in arbitrary slices, split
// anywhere: inside a line, inside a UTF-8 sequence, between "\r" and "\n".
// Feed every slice as it arrives; each complete event (ended by a blank line)
// comes back as soon as its last byte is in.
//
// Contract (the WHATWG event-stream rules):
// - Lines end with "\n", "\r\n" or "\r"; a leading byte-order mark is dropped.
// - Lines starting with ":" are comments (keep-alives) and are ignored.
// - "field: value" and "field:value" are the same (one leading space dropped);
//   a line without ":" is a field with an empty value.
// - Several `data` lines of one event are joined with "\n". A blank line
//   ends an event; an event without any `data` line is not dispatched.
// - `event` names the event (empty when the stream gave none: "message");
//   `id` is the last event id seen, which persists across events.
// - Bounded memory: an event (or a single line) larger than max_event_bytes
//   (16 MiB by default) is Error(upstream) instead of unbounded growth.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

struct SseEvent {
  std::string event;  // empty means the default type, "message"
  std::string data;
  std::string id;
  std::optional<long> retry_ms;  // a `retry` field in this event, if any
};

class SseParser {
 public:
  static constexpr size_t kDefaultMaxEventBytes = size_t{16} << 20;

  explicit SseParser(size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  // Consumes a slice of the stream; returns the events it completed, in order.
  std::vector<SseEvent> feed(std::string_view bytes);

  // Call at the end of the stream. Returns the last event if its final line
  // was complete but the closing blank line never came (a common server
  // slip); a line cut off mid-way is dropped, as the spec says.
  std::vector<SseEvent> finish();

 private:
  void end_line(std::vector<SseEvent>& events);
  void dispatch(std::vector<SseEvent>& events);
  void check_size() const;

  size_t max_event_bytes_;
  std::string line_;
  bool after_carriage_return_ = false;
  bool at_stream_start_ = true;
  std::string event_name_;
  std::string data_;
  bool has_data_ = false;
  std::string last_id_;
  std::optional<long> retry_ms_;
};

}  // namespace weir
