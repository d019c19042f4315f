#include <doctest/doctest.h>

#include "core/provider/chat.hpp"

using namespace weir;

TEST_CASE("tool-call fragments are assembled by index") {
  Completion completion;
  StreamDelta first;
  first.tool_calls.push_back({0, "call_a", "get_weather", "{\"ci"});
  first.tool_calls.push_back({1, "call_b", "get_time", ""});
  completion.apply(first);
  StreamDelta second;
  second.tool_calls.push_back({0, "", "", "ty\":\"Paris\"}"});
  second.tool_calls.push_back({1, "", "", "{}"});
  second.finish_reason = "tool_calls";
  completion.apply(second);
  REQUIRE(completion.tool_calls.size() == 2);
  CHECK(completion.tool_calls[0].id == "call_a");
  CHECK(completion.tool_calls[0].name == "get_weather");
  CHECK(completion.tool_calls[0].arguments == "{\"city\":\"Paris\"}");
  CHECK(completion.tool_calls[1].arguments == "{}");
  CHECK(completion.finish_reason == "tool_calls");
  auto message = completion.assistant_message();
  CHECK(message["content"].is_null());
  CHECK(message["tool_calls"].size() == 2);
}
