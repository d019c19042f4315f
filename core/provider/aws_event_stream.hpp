// AWS event stream — the binary framing of application/vnd.amazon.eventstream,
// in which Bedrock's ConverseStream (and other AWS streaming APIs) send events.
//
// A message is: a 12-byte prelude (total length, headers length, both 32-bit
// big-endian, then a CRC32 of those 8 bytes), the headers (each a 1-byte name
// length, the name, a 1-byte value type and the value), the payload, and a
// CRC32 of everything before it. Header value types: 0 true, 1 false, 2 byte,
// 3 short, 4 integer, 5 long, 6 byte array, 7 string (both with a 16-bit
// length), 8 timestamp (64-bit ms), 9 UUID (16 bytes).
//
// Contract:
// - EventStreamDecoder is incremental: feed() takes any slice of the stream
//   (a single byte, several messages) and returns the messages completed by it,
//   in order. Nothing is lost or repeated however the bytes are split.
// - A wrong prelude or message CRC, a total length under 16 or over
//   kMaxEventStreamMessage (16 MiB), headers that do not fit, or a malformed
//   header is Error(upstream) saying what was wrong; the decoder is unusable
//   after it (the stream cannot be resynchronised).
// - Memory is bounded by one message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

inline constexpr size_t kMaxEventStreamMessage = size_t{16} << 20;

struct EventStreamHeader {
  std::string name;
  uint8_t type = 7;
  // Types 6 and 7: the bytes; fixed-size types: their big-endian bytes as sent;
  // types 0 and 1: empty.
  std::string value;
};

struct EventStreamMessage {
  std::vector<EventStreamHeader> headers;
  std::string payload;
  // The value of the string header `name` (":event-type"), or "" when absent
  // or not a string.
  std::string string_header(std::string_view name) const;
};

class EventStreamDecoder {
 public:
  std::vector<EventStreamMessage> feed(std::string_view bytes);
  // True when no partial message is buffered (the stream ended on a boundary).
  bool at_boundary() const { return buffer_.empty(); }

 private:
  std::string buffer_;
  uint32_t expected_length_ = 0;  // of the message being gathered; 0: prelude not read yet
};

// CRC-32 (IEEE 802.3, the zlib one) of `bytes`, continuing from `crc`.
uint32_t event_stream_crc32(std::string_view bytes, uint32_t crc = 0);

}  // namespace weir
