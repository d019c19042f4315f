// Anthropic answer tool — a json_schema response_format carried by a forced tool.
//
// Anthropic's Messages API has no response_format; the way to hold its
// models to a JSON Schema is a tool whose input_schema is that schema and a
// tool_choice that makes the model call it. The tool's input is then the
// answer. This file holds both halves of that translation:
// - anthropic_answer_tool() says whether a request's response_format can
//   travel this way (type json_schema with an object schema at the root:
//   Anthropic's input_schema must describe an object) and gives the tool;
//   anthropic_request.cpp adds it and forces it (tool_choice "tool" with no
//   other tools, "any" beside server-side or client tools so they may run
//   first; "auto" when thinking is on, which Anthropic requires);
// - AnswerToolDeltas turns the answer tool's call back into the answer's
//   content: its input JSON fragments become content deltas, other tool
//   calls keep their order (renumbered from 0), and a finish reason of
//   "tool_calls" becomes "stop" when the answer tool was the only call.
// Nothing here validates the JSON: the engine checks every answer
// (core/engine/structured_output.hpp).
#pragma once

#include <map>
#include <optional>
#include <string_view>

#include "core/provider/chat.hpp"
#include "core/provider/provider.hpp"

namespace weir {

inline constexpr std::string_view kAnswerToolName = "json_answer";

// {name, description, input_schema} of the answer tool, or nullopt when the
// request's response_format is not a json_schema with an object root.
std::optional<json> anthropic_answer_tool(const ChatRequest& request);

// One per model call (or per try of it): it keeps the numbering of the calls seen.
class AnswerToolDeltas {
 public:
  // The delta as the caller should see it.
  StreamDelta translate(const StreamDelta& delta);

 private:
  std::map<int, int> renumbered_;  // the reader's call index -> the index passed on
  std::map<int, bool> answer_calls_;  // the reader's indexes of answer tool calls
  int other_calls_ = 0;
};

}  // namespace weir
