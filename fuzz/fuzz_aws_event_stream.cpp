// Fuzz target: the AWS event-stream decoder (core/provider/aws_event_stream),
// fed what Bedrock's ConverseStream could send.
//
// Invariants besides "no crash, no sanitizer report": the messages must not
// depend on where the network split the bytes. The input is decoded in one
// piece, one byte at a time, and in slices of 1..16 bytes chosen from the
// input's hash; all three must give the same messages, or all three refuse
// (Error(upstream), never another kind), and every decoded message is smaller
// than the input that held it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/provider/aws_event_stream.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using weir::fuzz::check;

struct Outcome {
  std::vector<weir::EventStreamMessage> messages;
  bool refused = false;
  bool at_boundary = true;
};

template <typename NextSliceSize>
Outcome decode(std::string_view input, NextSliceSize next_slice_size) {
  Outcome outcome;
  weir::EventStreamDecoder decoder;
  try {
    while (!input.empty()) {
      auto size = std::min(input.size(), next_slice_size());
      for (auto& message : decoder.feed(input.substr(0, size))) outcome.messages.push_back(std::move(message));
      input.remove_prefix(size);
    }
    outcome.at_boundary = decoder.at_boundary();
  } catch (const weir::Error& error) {
    check(error.kind() == weir::ErrorKind::upstream, "the decoder refuses only with Error(upstream)");
    outcome.refused = true;
  }
  return outcome;
}

bool same_messages(const Outcome& left, const Outcome& right) {
  return std::equal(left.messages.begin(), left.messages.end(), right.messages.begin(), right.messages.end(),
                    [](const weir::EventStreamMessage& a, const weir::EventStreamMessage& b) {
                      if (a.payload != b.payload || a.headers.size() != b.headers.size()) return false;
                      for (size_t index = 0; index < a.headers.size(); ++index)
                        if (a.headers[index].name != b.headers[index].name ||
                            a.headers[index].type != b.headers[index].type ||
                            a.headers[index].value != b.headers[index].value)
                          return false;
                      return true;
                    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto whole = decode(input, [&] { return input.size(); });
  auto byte_by_byte = decode(input, [] { return size_t{1}; });
  uint64_t state = std::hash<std::string_view>{}(input) | 1;
  auto sliced = decode(input, [&] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;  // xorshift64
    return static_cast<size_t>(state % 16) + 1;
  });

  check(whole.refused == byte_by_byte.refused && whole.refused == sliced.refused,
        "a malformed stream is refused however the bytes are sliced");
  if (!whole.refused) {
    check(same_messages(whole, byte_by_byte), "one piece and byte-by-byte give the same messages");
    check(same_messages(whole, sliced), "one piece and random slices give the same messages");
    check(whole.at_boundary == byte_by_byte.at_boundary && whole.at_boundary == sliced.at_boundary,
          "the decoder ends on a boundary however the bytes are sliced");
  }
  for (const auto& message : whole.messages) {
    size_t header_bytes = 0;
    for (const auto& header : message.headers) header_bytes += header.name.size() + header.value.size();
    check(message.payload.size() + header_bytes + 16 <= input.size(), "a message is no larger than its input");
  }
  return 0;
}
