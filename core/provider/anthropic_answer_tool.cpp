#include "core/provider/anthropic_answer_tool.hpp"

namespace weir {

std::optional<json> anthropic_answer_tool(const ChatRequest& request) {
  const json& format = request.response_format;
  if (!format.is_object() || format.value("type", "") != "json_schema") return std::nullopt;
  auto spec = format.find("json_schema");
  if (spec == format.end() || !spec->is_object()) return std::nullopt;
  auto schema = spec->find("schema");
  if (schema == spec->end() || !schema->is_object()) return std::nullopt;
  auto type = schema->find("type");
  bool object_root = type != schema->end() ? *type == "object" : schema->contains("properties");
  if (!object_root) return std::nullopt;
  return json{{"name", kAnswerToolName},
              {"description",
               "Give your final answer by calling this tool once: its input is the answer, matching the schema "
               "exactly."},
              {"input_schema", *schema}};
}

StreamDelta AnswerToolDeltas::translate(const StreamDelta& delta) {
  StreamDelta out = delta;
  out.tool_calls.clear();
  for (const auto& fragment : delta.tool_calls) {
    if (!fragment.name.empty()) answer_calls_[fragment.index] = fragment.name == kAnswerToolName;
    if (answer_calls_[fragment.index]) {
      out.content += fragment.arguments;
      continue;
    }
    auto [slot, inserted] = renumbered_.try_emplace(fragment.index, other_calls_);
    if (inserted) ++other_calls_;
    ToolCallFragment passed = fragment;
    passed.index = slot->second;
    out.tool_calls.push_back(std::move(passed));
  }
  if (out.finish_reason == "tool_calls" && other_calls_ == 0) out.finish_reason = "stop";
  return out;
}

}  // namespace weir
