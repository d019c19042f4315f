#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/provider/aws_event_stream.hpp"
#include "tests/support/event_stream_frames.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::event_stream_frame;
using weir::testing::expect_error;

namespace {

std::vector<EventStreamMessage> decode_split_at(const std::string& bytes, size_t cut) {
  EventStreamDecoder decoder;
  auto messages = decoder.feed(std::string_view(bytes).substr(0, cut));
  for (auto& message : decoder.feed(std::string_view(bytes).substr(cut))) messages.push_back(std::move(message));
  CHECK(decoder.at_boundary());
  return messages;
}

std::string two_frames() {
  return event_stream_frame({{":event-type", "contentBlockDelta"}, {":message-type", "event"}},
                            R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})") +
         event_stream_frame({{":event-type", "messageStop"}}, R"({"stopReason":"end_turn"})");
}

}  // namespace

TEST_CASE("aws event stream: CRC-32 is the IEEE one (check value of \"123456789\")") {
  CHECK(event_stream_crc32("123456789") == 0xCBF43926U);
  CHECK(event_stream_crc32("") == 0U);
}

TEST_CASE("aws event stream: frames decode the same when split at every byte boundary") {
  const std::string bytes = two_frames();
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    CAPTURE(cut);
    auto messages = decode_split_at(bytes, cut);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].string_header(":event-type") == "contentBlockDelta");
    CHECK(messages[0].string_header(":message-type") == "event");
    CHECK(messages[0].payload == R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})");
    CHECK(messages[1].string_header(":event-type") == "messageStop");
    CHECK(messages[1].payload == R"({"stopReason":"end_turn"})");
  }
}

TEST_CASE("aws event stream: fed one byte at a time, nothing is lost or repeated") {
  const std::string bytes = two_frames() + two_frames();
  EventStreamDecoder decoder;
  std::vector<EventStreamMessage> messages;
  for (char byte : bytes)
    for (auto& message : decoder.feed(std::string_view(&byte, 1))) messages.push_back(std::move(message));
  CHECK(messages.size() == 4);
  CHECK(decoder.at_boundary());
}

TEST_CASE("aws event stream: a frame with no headers and no payload is 16 bytes") {
  std::string empty = event_stream_frame({}, "");
  CHECK(empty.size() == 16);
  EventStreamDecoder decoder;
  auto messages = decoder.feed(empty);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].headers.empty());
  CHECK(messages[0].payload.empty());
}

TEST_CASE("aws event stream: non-string header types are read and skipped past") {
  // One header of every fixed type, then a string: name, type, value.
  std::string headers;
  auto add = [&](const std::string& name, char type, const std::string& value) {
    headers += static_cast<char>(name.size());
    headers += name;
    headers += type;
    headers += value;
  };
  add("t", 0, "");
  add("f", 1, "");
  add("b", 2, std::string(1, '\x7f'));
  add("s", 3, std::string(2, '\x01'));
  add("i", 4, std::string(4, '\x02'));
  add("l", 5, std::string(8, '\x03'));
  add("a", 6, std::string("\x00\x02xy", 4));
  add("ts", 8, std::string(8, '\x04'));
  add("u", 9, std::string(16, '\x05'));
  add(":event-type", 7, std::string("\x00\x04ping", 6));
  // Frame it by hand with the decoder's own CRC (the encoder writes strings only).
  std::string frame;
  auto put = [&](uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>((value >> shift) & 0xFF);
  };
  put(static_cast<uint32_t>(16 + headers.size() + 2));
  put(static_cast<uint32_t>(headers.size()));
  put(event_stream_crc32(frame));
  frame += headers + "{}";
  put(event_stream_crc32(frame));
  EventStreamDecoder decoder;
  auto messages = decoder.feed(frame);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].headers.size() == 10);
  CHECK(messages[0].headers[6].value == "xy");
  CHECK(messages[0].headers[8].value.size() == 16);
  CHECK(messages[0].string_header(":event-type") == "ping");
  CHECK(messages[0].string_header("a").empty());  // a byte array, not a string
  CHECK(messages[0].payload == "{}");
}

TEST_CASE("aws event stream: a flipped bit in the prelude CRC is rejected, at every bit") {
  const std::string frame = two_frames();
  for (size_t byte = 8; byte < 12; ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = frame;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      EventStreamDecoder decoder;
      auto error = expect_error([&] { decoder.feed(damaged); });
      CHECK(error.kind() == ErrorKind::upstream);
      CHECK(std::string(error.what()).find("prelude") != std::string::npos);
    }
}

TEST_CASE("aws event stream: a flipped bit in the message CRC or the body is rejected") {
  const std::string frame = event_stream_frame({{":event-type", "x"}}, "payload");
  for (size_t byte = 12; byte < frame.size(); ++byte)
    for (int bit = 0; bit < 8; bit += 3) {
      std::string damaged = frame;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      EventStreamDecoder decoder;
      auto error = expect_error([&] { decoder.feed(damaged); });
      CHECK(error.kind() == ErrorKind::upstream);
      CHECK(std::string(error.what()).find("CRC") != std::string::npos);
    }
}

TEST_CASE("aws event stream: absurd lengths are rejected from the prelude, before any buffering") {
  auto prelude = [](uint32_t total, uint32_t headers) {
    std::string bytes;
    for (uint32_t value : {total, headers})
      for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((value >> shift) & 0xFF);
    uint32_t crc = event_stream_crc32(bytes);
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((crc >> shift) & 0xFF);
    return bytes;
  };
  for (const auto& lengths : std::vector<std::pair<uint32_t, uint32_t>>{
           {0xFFFFFFFFU, 0}, {static_cast<uint32_t>(kMaxEventStreamMessage + 1), 0}, {15, 0}, {0, 0}, {100, 85}}) {
    CAPTURE(lengths.first);
    EventStreamDecoder decoder;
    auto error = expect_error([&] { decoder.feed(prelude(lengths.first, lengths.second)); });
    CHECK(error.kind() == ErrorKind::upstream);
  }
  EventStreamDecoder decoder;
  CHECK(decoder.feed(prelude(100, 84)).empty());  // headers filling the whole body are allowed
}

TEST_CASE("aws event stream: a header running past the header block is rejected") {
  // Name length 200 in a 3-byte header block, framed with valid CRCs.
  std::string frame;
  auto put = [&](uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>((value >> shift) & 0xFF);
  };
  put(19);
  put(3);
  put(event_stream_crc32(frame));
  frame += std::string("\xc8\x61\x62", 3);
  put(event_stream_crc32(frame));
  EventStreamDecoder decoder;
  auto error = expect_error([&] { decoder.feed(frame); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(std::string(error.what()).find("header") != std::string::npos);
}
