// Fuzz target: the server-sent events parser (core/provider/sse_parser), fed
// what an upstream could stream.
//
// Invariants besides "no crash, no sanitizer report": the events must not
// depend on where the network split the bytes. The input is parsed in one
// piece, one byte at a time, and in slices of 1..16 bytes chosen from the
// input's hash; all three must give the same events, or all three the same
// refusal (an event over the size limit), and no event's data may be larger
// than the limit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/provider/sse_parser.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using weir::fuzz::check;

// Small, so inputs of a few KiB reach the size refusal.
constexpr size_t kMaxEventBytes = 512;

struct Outcome {
  std::vector<weir::SseEvent> events;
  bool refused = false;
};

template <typename NextSliceSize>
Outcome parse(std::string_view input, NextSliceSize next_slice_size) {
  Outcome outcome;
  weir::SseParser parser(kMaxEventBytes);
  auto keep = [&](std::vector<weir::SseEvent> events) {
    for (auto& event : events) outcome.events.push_back(std::move(event));
  };
  try {
    while (!input.empty()) {
      auto size = std::min(input.size(), next_slice_size());
      keep(parser.feed(input.substr(0, size)));
      input.remove_prefix(size);
    }
    keep(parser.finish());
  } catch (const weir::Error& error) {
    check(error.kind() == weir::ErrorKind::upstream, "the parser refuses only with Error(upstream)");
    outcome.refused = true;
  }
  return outcome;
}

bool same_events(const Outcome& left, const Outcome& right) {
  return std::equal(left.events.begin(), left.events.end(), right.events.begin(), right.events.end(),
                    [](const weir::SseEvent& a, const weir::SseEvent& b) {
                      return a.event == b.event && a.data == b.data && a.id == b.id && a.retry_ms == b.retry_ms;
                    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto whole = parse(input, [&] { return input.size(); });
  auto byte_by_byte = parse(input, [] { return size_t{1}; });
  uint64_t state = std::hash<std::string_view>{}(input) | 1;
  auto sliced = parse(input, [&] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;  // xorshift64
    return static_cast<size_t>(state % 16) + 1;
  });

  check(whole.refused == byte_by_byte.refused && whole.refused == sliced.refused,
        "an oversize event is refused however the bytes are sliced");
  if (!whole.refused) {
    check(same_events(whole, byte_by_byte), "one piece and byte-by-byte give the same events");
    check(same_events(whole, sliced), "one piece and random slices give the same events");
  }
  for (const auto* outcome : {&whole, &byte_by_byte, &sliced})
    for (const auto& event : outcome->events)
      check(event.data.size() <= kMaxEventBytes, "no event's data is larger than the limit");
  return 0;
}
