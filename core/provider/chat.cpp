#include "core/provider/chat.hpp"

#include <algorithm>
#include <cstdio>

namespace weir {

namespace {
template <typename Value>
void read_number(const json& fields, const char* name, std::optional<Value>& target) {
  auto found = fields.find(name);
  if (found != fields.end() && found->is_number()) target = found->get<Value>();
}
void read_text(const json& fields, const char* name, std::optional<std::string>& target) {
  auto found = fields.find(name);
  if (found != fields.end() && found->is_string()) target = found->get<std::string>();
}
template <typename Value>
void write(json& body, const char* name, const std::optional<Value>& value) {
  if (value) body[name] = *value;
}
}  // namespace

SamplingParameters SamplingParameters::from_json(const json& fields) {
  SamplingParameters sampling;
  if (!fields.is_object()) return sampling;
  read_number(fields, "temperature", sampling.temperature);
  read_number(fields, "top_p", sampling.top_p);
  read_number(fields, "top_k", sampling.top_k);
  read_number(fields, "presence_penalty", sampling.presence_penalty);
  read_number(fields, "frequency_penalty", sampling.frequency_penalty);
  read_number(fields, "seed", sampling.seed);
  read_number(fields, "max_tokens", sampling.max_tokens);
  read_text(fields, "reasoning_effort", sampling.reasoning_effort);
  read_text(fields, "verbosity", sampling.verbosity);
  if (auto stop = fields.find("stop"); stop != fields.end()) {
    if (stop->is_string()) sampling.stop = {stop->get<std::string>()};
    if (stop->is_array())
      for (const auto& item : *stop)
        if (item.is_string()) sampling.stop.push_back(item.get<std::string>());
  }
  return sampling;
}

json SamplingParameters::to_json() const {
  json body = json::object();
  write(body, "temperature", temperature);
  write(body, "top_p", top_p);
  write(body, "top_k", top_k);
  write(body, "presence_penalty", presence_penalty);
  write(body, "frequency_penalty", frequency_penalty);
  write(body, "seed", seed);
  write(body, "max_tokens", max_tokens);
  write(body, "reasoning_effort", reasoning_effort);
  write(body, "verbosity", verbosity);
  if (!stop.empty()) body["stop"] = stop;
  return body;
}

json Usage::to_json() const {
  json usage = {{"prompt_tokens", prompt_tokens},
                {"completion_tokens", completion_tokens},
                {"total_tokens", prompt_tokens + completion_tokens}};
  if (cached_tokens > 0) usage["prompt_tokens_details"]["cached_tokens"] = cached_tokens;
  if (cache_write_tokens > 0) usage["prompt_tokens_details"]["cache_write_tokens"] = cache_write_tokens;
  if (reasoning_tokens > 0)
    usage["completion_tokens_details"] = {{"reasoning_tokens", reasoning_tokens}};
  return usage;
}

json ToolCall::to_json() const {
  return {{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
}

std::string format_tool_progress(const ToolProgress& progress) {
  auto number = [](double value) {
    char text[32];
    if (value == static_cast<double>(static_cast<long long>(value)) && value > -1e15 && value < 1e15)
      std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value));
    else
      std::snprintf(text, sizeof text, "%.3g", value);
    return std::string(text);
  };
  std::string shown = number(progress.progress);
  if (progress.total) shown += "/" + number(*progress.total);
  if (!progress.message.empty()) shown += " " + progress.message;
  return shown;
}

json ServerToolActivity::to_json() const {
  json object = {{"name", name}, {"id", id}, {"arguments", arguments}, {"state", state}};
  if (progress) {
    object["progress"] = progress->progress;
    if (progress->total) object["total"] = *progress->total;
    if (!progress->message.empty()) object["message"] = progress->message;
  }
  return object;
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
