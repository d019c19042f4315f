#include "core/provider/chat.hpp"

#include <algorithm>

namespace weir {

json Usage::to_json() const {
  json usage = {{"prompt_tokens", prompt_tokens},
                {"completion_tokens", completion_tokens},
                {"total_tokens", prompt_tokens + completion_tokens}};
  if (cached_tokens > 0) usage["prompt_tokens_details"] = {{"cached_tokens", cached_tokens}};
  if (reasoning_tokens > 0)
    usage["completion_tokens_details"] = {{"reasoning_tokens", reasoning_tokens}};
  return usage;
}

json ToolCall::to_json() const {
  return {{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
}

json ServerToolActivity::to_json() const {
  return {{"name", name}, {"id", id}, {"arguments", arguments}, {"state", state}};
}

void Completion::apply(const StreamDelta& delta) {
  content += delta.content;
  reasoning += delta.reasoning;
  for (const auto& fragment : delta.tool_calls) {
    if (fragment.index < 0) continue;
    auto slot = static_cast<size_t>(fragment.index);
    // Indices are small and dense in practice; cap growth so a hostile
    // upstream cannot make us allocate an enormous vector.
    if (slot > 1024) continue;
    if (tool_calls.size() <= slot) tool_calls.resize(slot + 1);
    auto& call = tool_calls[slot];
    if (!fragment.id.empty()) call.id = fragment.id;
    if (!fragment.name.empty()) call.name += fragment.name;
    call.arguments += fragment.arguments;
  }
  if (delta.finish_reason) finish_reason = *delta.finish_reason;
  if (delta.usage) usage = delta.usage;
}

json Completion::assistant_message() const {
  json message = {{"role", "assistant"}};
  message["content"] = content.empty() && !tool_calls.empty() ? json(nullptr) : json(content);
  if (!tool_calls.empty()) {
    json calls = json::array();
    for (const auto& call : tool_calls)
      if (!call.name.empty() || !call.id.empty()) calls.push_back(call.to_json());
    message["tool_calls"] = std::move(calls);
  }
  return message;
}

}  // namespace weir
