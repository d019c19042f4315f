#include "core/provider/aws_event_stream.hpp"

#include <array>

#include "core/error.hpp"

namespace weir {

namespace {

constexpr size_t kPreludeSize = 12;
constexpr size_t kSmallestMessage = kPreludeSize + 4;

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t index = 0; index < 256; ++index) {
    uint32_t value = index;
    for (int bit = 0; bit < 8; ++bit) value = (value & 1) != 0 ? 0xEDB88320U ^ (value >> 1) : value >> 1;
    table[index] = value;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

uint32_t read_u32(std::string_view bytes, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

[[noreturn]] void malformed(const std::string& what) {
  throw Error(ErrorKind::upstream, "the upstream's event stream is malformed (" + what +
                                       "); the answer cannot be read, try again");
}

// The size of a fixed-size header value of `type`; -1 for the variable ones.
int fixed_value_size(uint8_t type) {
  switch (type) {
    case 0: case 1: return 0;
    case 2: return 1;
    case 3: return 2;
    case 4: return 4;
    case 5: case 8: return 8;
    case 9: return 16;
    default: return -1;
  }
}

std::vector<EventStreamHeader> parse_headers(std::string_view bytes) {
  std::vector<EventStreamHeader> headers;
  size_t at = 0;
  while (at < bytes.size()) {
    size_t name_size = static_cast<unsigned char>(bytes[at++]);
    if (name_size == 0 || at + name_size + 1 > bytes.size()) malformed("a header name runs past the headers");
    EventStreamHeader header;
    header.name = std::string(bytes.substr(at, name_size));
    at += name_size;
    header.type = static_cast<uint8_t>(bytes[at++]);
    size_t value_size = 0;
    if (header.type == 6 || header.type == 7) {
      if (at + 2 > bytes.size()) malformed("a header value length runs past the headers");
      value_size = (static_cast<size_t>(static_cast<unsigned char>(bytes[at])) << 8) |
                   static_cast<unsigned char>(bytes[at + 1]);
      at += 2;
    } else {
      int size = fixed_value_size(header.type);
      if (size < 0) malformed("header '" + header.name + "' has unknown value type " + std::to_string(header.type));
      value_size = static_cast<size_t>(size);
    }
    if (at + value_size > bytes.size()) malformed("header '" + header.name + "' runs past the headers");
    header.value = std::string(bytes.substr(at, value_size));
    at += value_size;
    headers.push_back(std::move(header));
  }
  return headers;
}

EventStreamMessage parse_message(std::string_view message) {
  const uint32_t headers_size = read_u32(message, 4);
  if (event_stream_crc32(message.substr(0, message.size() - 4)) != read_u32(message, message.size() - 4))
    malformed("a message's CRC does not match its bytes");
  EventStreamMessage parsed;
  parsed.headers = parse_headers(message.substr(kPreludeSize, headers_size));
  parsed.payload = std::string(message.substr(kPreludeSize + headers_size, message.size() - kSmallestMessage - headers_size));
  return parsed;
}

}  // namespace

uint32_t event_stream_crc32(std::string_view bytes, uint32_t crc) {
  crc = ~crc;
  for (unsigned char byte : bytes) crc = kCrcTable[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string EventStreamMessage::string_header(std::string_view name) const {
  for (const auto& header : headers)
    if (header.name == name && header.type == 7) return header.value;
  return {};
}

std::vector<EventStreamMessage> EventStreamDecoder::feed(std::string_view bytes) {
  std::vector<EventStreamMessage> messages;
  while (!bytes.empty()) {
    // Take only what the current message still needs, so a slice holding
    // several messages never makes the buffer grow past one.
    size_t wanted = (expected_length_ == 0 ? kPreludeSize : expected_length_) - buffer_.size();
    size_t taken = std::min(wanted, bytes.size());
    buffer_.append(bytes.substr(0, taken));
    bytes.remove_prefix(taken);
    if (expected_length_ == 0) {
      if (buffer_.size() < kPreludeSize) break;
      const uint32_t total = read_u32(buffer_, 0);
      const uint32_t headers_size = read_u32(buffer_, 4);
      if (event_stream_crc32(std::string_view(buffer_).substr(0, 8)) != read_u32(buffer_, 8))
        malformed("a message prelude's CRC does not match");
      if (total < kSmallestMessage) malformed("a message claims " + std::to_string(total) + " bytes, under the 16 of an empty one");
      if (total > kMaxEventStreamMessage)
        malformed("a message claims " + std::to_string(total) + " bytes, over the limit of " +
                  std::to_string(kMaxEventStreamMessage) + "");
      if (headers_size > total - kSmallestMessage) malformed("a message's headers are longer than the message");
      expected_length_ = total;
      continue;
    }
    if (buffer_.size() < expected_length_) break;
    messages.push_back(parse_message(buffer_));
    buffer_.clear();
    expected_length_ = 0;
  }
  return messages;
}

}  // namespace weir
