// The Anthropic answer tool: how a json_schema response_format becomes a
// forced tool in the Messages body (alone, beside other tools, with
// thinking), when it cannot, and how the tool's input becomes the answer.
#include <doctest/doctest.h>

#include "core/provider/anthropic_answer_tool.hpp"
#include "core/provider/anthropic_request.hpp"

using namespace weir;

namespace {

const json kSchema = {{"type", "object"}, {"properties", {{"a", {{"type", "integer"}}}}}};

ChatRequest request_with(json schema) {
  ChatRequest request;
  request.model = "claude-test";
  request.messages = json::array({{{"role", "user"}, {"content", "hi"}}});
  request.response_format = {{"type", "json_schema"}, {"json_schema", {{"name", "r"}, {"schema", std::move(schema)}}}};
  return request;
}

json function_tool(const std::string& name) {
  return {{"type", "function"}, {"function", {{"name", name}, {"parameters", {{"type", "object"}}}}}};
}

}  // namespace

TEST_CASE("anthropic answer tool: forced alone, 'any' beside other tools, 'auto' while thinking") {
  auto alone = anthropic_messages_body(request_with(kSchema));
  REQUIRE(alone["tools"].size() == 1);
  CHECK(alone["tools"][0]["name"] == "json_answer");
  CHECK(alone["tools"][0]["input_schema"] == kSchema);
  CHECK(alone["tool_choice"] == json{{"type", "tool"}, {"name", "json_answer"}});

  auto with_tools = request_with(kSchema);
  with_tools.tools = json::array({function_tool("lookup")});
  with_tools.tool_choice = "auto";
  auto beside = anthropic_messages_body(with_tools);
  REQUIRE(beside["tools"].size() == 2);
  CHECK(beside["tools"][0]["name"] == "lookup");
  CHECK(beside["tool_choice"] == json{{"type", "any"}});

  // The client's own choice stands: none (no answer tool: the answer is text,
  // checked like any) and a named tool (called first; the answer tool stays offered).
  with_tools.tool_choice = "none";
  auto none = anthropic_messages_body(with_tools);
  CHECK(none["tool_choice"] == json{{"type", "none"}});
  CHECK(none["tools"].size() == 1);
  with_tools.tool_choice = {{"type", "function"}, {"function", {{"name", "lookup"}}}};
  auto named = anthropic_messages_body(with_tools);
  CHECK(named["tool_choice"] == json{{"type", "tool"}, {"name", "lookup"}});
  CHECK(named["tools"].size() == 2);

  auto thinking = request_with(kSchema);
  thinking.sampling.reasoning_effort = "low";
  CHECK(anthropic_messages_body(thinking)["tool_choice"] == json{{"type", "auto"}});
}

TEST_CASE("anthropic answer tool: not for json_object or a schema whose root is not an object") {
  CHECK_FALSE(anthropic_answer_tool(request_with({{"type", "array"}})));
  ChatRequest object_only = request_with(kSchema);
  object_only.response_format = {{"type", "json_object"}};
  CHECK_FALSE(anthropic_answer_tool(object_only));
  CHECK_FALSE(anthropic_messages_body(object_only).contains("tools"));
}

TEST_CASE("anthropic answer tool: its input fragments become content, other calls are renumbered") {
  AnswerToolDeltas deltas;
  StreamDelta first;
  first.tool_calls.push_back({0, "toolu_1", "lookup", "{\"q\":"});
  first.tool_calls.push_back({1, "toolu_2", "json_answer", "{\"a\""});
  auto out = deltas.translate(first);
  CHECK(out.content == "{\"a\"");
  REQUIRE(out.tool_calls.size() == 1);
  CHECK(out.tool_calls[0].index == 0);
  StreamDelta second;
  second.tool_calls.push_back({1, "", "", ": 1}"});
  second.finish_reason = "tool_calls";
  out = deltas.translate(second);
  CHECK(out.content == ": 1}");
  CHECK(out.finish_reason == "tool_calls");  // lookup was called too

  AnswerToolDeltas only_answer;
  StreamDelta answer;
  answer.tool_calls.push_back({0, "toolu_9", "json_answer", "{}"});
  answer.finish_reason = "tool_calls";
  out = only_answer.translate(answer);
  CHECK(out.content == "{}");
  CHECK(out.tool_calls.empty());
  CHECK(out.finish_reason == "stop");
}
