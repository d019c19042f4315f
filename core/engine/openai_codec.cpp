#include "core/engine/openai_codec.hpp"

#include "core/gateway/identifiers.hpp"

namespace weir {

using json = nlohmann::json;

AnswerIdentity AnswerIdentity::make(std::string model) {
  return {"chatcmpl-" + new_uuid_v7(), std::move(model), now_milliseconds() / 1000};
}

json completion_object(const AnswerIdentity& identity, const Completion& completion, const json& generation_context) {
  json message = completion.assistant_message();
  if (!completion.reasoning.empty()) message["reasoning_content"] = completion.reasoning;
  return {{"id", identity.id},
          {"object", "chat.completion"},
          {"created", identity.created},
          {"model", identity.model},
          {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", completion.finish_reason}}})},
          {"usage", completion.usage.value_or(Usage{}).to_json()},
          {"generation_context", generation_context}};
}

json server_tool_chunk(const ServerToolActivity& activity, const AnswerIdentity& identity) {
  return {{"id", identity.id},
          {"object", "chat.completion.chunk"},
          {"created", identity.created},
          {"model", identity.model},
          {"choices", json::array()},
          {"servertool", activity.to_json()}};
}

json ChunkWriter::chunk(json delta, json finish_reason) const {
  return {{"id", identity_.id},
          {"object", "chat.completion.chunk"},
          {"created", identity_.created},
          {"model", identity_.model},
          {"choices",
           json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}})}};
}

std::vector<json> ChunkWriter::chunks_for(const StreamDelta& delta) {
  std::vector<json> events;
  if (delta.server_tool) {
    events.push_back(server_tool_chunk(*delta.server_tool, identity_));
    return events;
  }
  json body = json::object();
  if (!sent_role_) {
    body["role"] = "assistant";
    body["content"] = "";
    sent_role_ = true;
  }
  if (!delta.content.empty()) body["content"] = delta.content;
  if (!delta.reasoning.empty()) body["reasoning_content"] = delta.reasoning;
  if (!delta.tool_calls.empty()) {
    auto calls = json::array();
    for (const auto& fragment : delta.tool_calls) {
      json call = {{"index", fragment.index}};
      if (!fragment.id.empty()) {
        call["id"] = fragment.id;
        call["type"] = "function";
      }
      json function = json::object();
      if (!fragment.name.empty()) function["name"] = fragment.name;
      function["arguments"] = fragment.arguments;
      call["function"] = function;
      calls.push_back(call);
    }
    body["tool_calls"] = calls;
  }
  bool has_text = !body.empty();
  if (has_text && !delta.finish_reason) events.push_back(chunk(body, nullptr));
  if (delta.finish_reason) {
    finished_ = true;
    events.push_back(chunk(body, *delta.finish_reason));
  }
  return events;
}

std::vector<json> ChunkWriter::finish(const std::string& finish_reason) {
  if (finished_) return {};
  finished_ = true;
  json body = json::object();
  if (!sent_role_) {
    body["role"] = "assistant";
    body["content"] = "";
    sent_role_ = true;
  }
  return {chunk(body, finish_reason)};
}

json ChunkWriter::usage_chunk(const json& usage, const json& generation_context) const {
  return {{"id", identity_.id},           {"object", "chat.completion.chunk"},
          {"created", identity_.created}, {"model", identity_.model},
          {"choices", json::array()},     {"usage", usage},
          {"generation_context", generation_context}};
}

}  // namespace weir
