#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/provider/sse_parser.hpp"

using namespace weir;

namespace {

std::vector<SseEvent> parse_in_slices(std::string_view stream,
                                      const std::vector<size_t>& cut_points) {
  SseParser parser;
  std::vector<SseEvent> events;
  size_t start = 0;
  for (size_t cut : cut_points) {
    for (auto& event : parser.feed(stream.substr(start, cut - start)))
      events.push_back(std::move(event));
    start = cut;
  }
  for (auto& event : parser.feed(stream.substr(start))) events.push_back(std::move(event));
  for (auto& event : parser.finish()) events.push_back(std::move(event));
  return events;
}

std::vector<SseEvent> parse_whole(std::string_view stream) { return parse_in_slices(stream, {}); }

bool same_events(const std::vector<SseEvent>& left, const std::vector<SseEvent>& right) {
  if (left.size() != right.size()) return false;
  for (size_t i = 0; i < left.size(); ++i)
    if (left[i].event != right[i].event || left[i].data != right[i].data ||
        left[i].id != right[i].id || left[i].retry_ms != right[i].retry_ms)
      return false;
  return true;
}

// Mixed line endings, comments, multi-line data, UTF-8, ids and a split-prone
// "\r\n" — everything the property below must survive.
const std::string kAwkwardStream =
    "\xEF\xBB\xBF: keep-alive comment\r\n"
    "data: {\"content\":\"h\xC3\xA9llo \xE2\x9C\x93\"}\r\n\r\n"
    "event: update\n"
    "id: 7\n"
    "data:first line\n"
    "data: second line\n"
    "\n"
    "data: carriage\r\r"
    ":comment\n"
    "retry: 1500\n"
    "data\n"
    "\n"
    "data: emoji \xF0\x9F\x98\x80 end\r\n"
    "\r\n"
    "data: [DONE]\n\n";

}  // namespace

TEST_CASE("sse: fields, comments, line endings and multi-line data") {
  auto events = parse_whole(kAwkwardStream);
  REQUIRE(events.size() == 6);
  CHECK(events[0].data == "{\"content\":\"h\xC3\xA9llo \xE2\x9C\x93\"}");
  CHECK(events[0].event.empty());
  CHECK(events[1].event == "update");
  CHECK(events[1].id == "7");
  CHECK(events[1].data == "first line\nsecond line");
  CHECK(events[2].data == "carriage");
  CHECK(events[2].id == "7");  // the last event id persists
  CHECK(events[2].event.empty());
  CHECK(events[3].data.empty());  // "data" with no colon is an empty data line
  CHECK(events[3].retry_ms == 1500);
  CHECK(events[4].data == "emoji \xF0\x9F\x98\x80 end");
  CHECK(events[5].data == "[DONE]");
}

TEST_CASE("sse: only one leading space is removed from a value") {
  auto events = parse_whole("data:  two spaces\n\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == " two spaces");
}

TEST_CASE("sse: a blank line with no data dispatches nothing") {
  CHECK(parse_whole(": ping\n\n\n\nevent: nothing\n\n").empty());
}

TEST_CASE("sse: same events whether fed whole, byte by byte, or in random slices") {
  const auto expected = parse_whole(kAwkwardStream);

  std::vector<size_t> every_byte;
  for (size_t i = 1; i < kAwkwardStream.size(); ++i) every_byte.push_back(i);
  CHECK(same_events(parse_in_slices(kAwkwardStream, every_byte), expected));

  std::mt19937 generator(20240611);
  for (int round = 0; round < 300; ++round) {
    std::uniform_int_distribution<size_t> position(1, kAwkwardStream.size() - 1);
    std::uniform_int_distribution<int> cut_count(1, 12);
    std::vector<size_t> cuts;
    for (int i = cut_count(generator); i > 0; --i) cuts.push_back(position(generator));
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    INFO("round " << round);
    CHECK(same_events(parse_in_slices(kAwkwardStream, cuts), expected));
  }
}

TEST_CASE("sse: events come out as soon as their blank line arrives") {
  SseParser parser;
  CHECK(parser.feed("data: one\n").empty());
  auto events = parser.feed("\ndata: tw");
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "one");
  CHECK(parser.feed("o\n\n").at(0).data == "two");
}

TEST_CASE("sse: at end of stream a complete last event without its blank line is kept") {
  SseParser parser;
  CHECK(parser.feed("data: last\n").empty());
  auto events = parser.finish();
  REQUIRE(events.size() == 1);
  CHECK(events[0].data == "last");
}

TEST_CASE("sse: at end of stream a line cut mid-way is dropped") {
  SseParser parser;
  CHECK(parser.feed("data: {\"partial\":").empty());
  CHECK(parser.finish().empty());
}

TEST_CASE("sse: an oversized event is an upstream error, not unbounded growth") {
  SseParser parser(1024);
  std::string big(600, 'x');
  CHECK(parser.feed("data: " + big + "\n").empty());
  try {
    parser.feed("data: " + big + "\n");
    FAIL("expected an error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(std::string(error.what()).find("larger than") != std::string::npos);
  }

  SseParser endless_line(1024);
  CHECK_THROWS_AS(
      [&] {
        for (int i = 0; i < 10; ++i) endless_line.feed(std::string(200, 'y'));
      }(),
      Error);
}
