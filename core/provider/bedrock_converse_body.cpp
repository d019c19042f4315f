#include "core/provider/bedrock_converse_body.hpp"
#include "core/provider/json_fields.hpp"

#include <cctype>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

std::string text_of(const json* content) {
  if (content == nullptr) return {};
  if (content->is_string()) return content->get<std::string>();
  std::string text;
  if (content->is_array())
    for (const auto& part : *content) text += string_member(part, "text");
  return text;
}

// {image: ...} from a data: URL; Bedrock takes the image's bytes only.
json image_block(const json& part) {
  const json* image_url = member(part, "image_url");
  std::string url = image_url != nullptr && image_url->is_string() ? image_url->get<std::string>()
                                                                    : (image_url ? string_member(*image_url, "url") : "");
  if (url.rfind("data:", 0) != 0)
    throw Error(ErrorKind::usage,
                "Bedrock takes images only as data: URLs (data:image/png;base64,...); it does not fetch '" +
                    url.substr(0, 60) + "': download the image and send its bytes");
  auto comma = url.find(',');
  std::string header = url.substr(5, comma == std::string::npos ? std::string::npos : comma - 5);
  if (comma == std::string::npos || header.find(";base64") == std::string::npos)
    throw Error(ErrorKind::usage, "an image data: URL must be base64 (data:image/png;base64,...)");
  std::string mime = ascii_lowercase(header.substr(0, header.find(';')));
  static const std::pair<const char*, const char*> kFormats[] = {
      {"image/png", "png"}, {"image/jpeg", "jpeg"}, {"image/jpg", "jpeg"}, {"image/gif", "gif"}, {"image/webp", "webp"}};
  for (const auto& [type, format] : kFormats)
    if (mime == type) return {{"image", {{"format", format}, {"source", {{"bytes", url.substr(comma + 1)}}}}}};
  throw Error(ErrorKind::usage, "Bedrock takes png, jpeg, gif and webp images, not '" + mime + "'");
}

json user_blocks(const json* content) {
  json blocks = json::array();
  if (content == nullptr || content->is_null()) return blocks;
  if (content->is_string()) {
    if (!content->get<std::string>().empty()) blocks.push_back({{"text", *content}});
    return blocks;
  }
  if (!content->is_array()) throw Error(ErrorKind::usage, "a message's content must be text or a list of parts");
  for (const auto& part : *content) {
    std::string type = string_member(part, "type");
    if (type == "text") {
      if (std::string text = string_member(part, "text"); !text.empty()) blocks.push_back({{"text", text}});
    } else if (type == "image_url") {
      blocks.push_back(image_block(part));
    } else {
      throw Error(ErrorKind::usage, "the bedrock provider does not send content parts of type '" + type +
                                        "'; send text or image_url parts");
    }
  }
  return blocks;
}

json tool_use_block(const json& call) {
  const json* function = member(call, "function");
  std::string name = function ? string_member(*function, "name") : "";
  json input = json::object();
  if (const json* arguments = function ? member(*function, "arguments") : nullptr) {
    if (arguments->is_object()) {
      input = *arguments;
    } else if (arguments->is_string() && !arguments->get<std::string>().empty()) {
      JsonReadResult parsed = read_json(arguments->get<std::string>());
      if (!parsed.ok() || !parsed.value.is_object())
        throw Error(ErrorKind::usage, "the arguments of tool call '" + string_member(call, "id") + "' (" + name +
                                          ") are not a JSON object; Bedrock needs one");
      input = std::move(parsed.value);
    }
  }
  return {{"toolUse", {{"toolUseId", string_member(call, "id")}, {"name", name}, {"input", input}}}};
}

json assistant_blocks(const json& message) {
  json blocks = json::array();
  if (std::string text = text_of(member(message, "content")); !text.empty()) blocks.push_back({{"text", text}});
  if (const json* calls = member(message, "tool_calls"); calls != nullptr && calls->is_array())
    for (const auto& call : *calls) blocks.push_back(tool_use_block(call));
  return blocks;
}

bool has_tool_blocks(const json& messages) {
  for (const auto& message : messages)
    for (const auto& block : message["content"])
      if (block.contains("toolUse") || block.contains("toolResult")) return true;
  return false;
}

json tool_configuration(const ChatRequest& request, bool conversation_has_tools) {
  json tools = json::array();
  for (const auto& tool : request.tools) {
    const json* function = member(tool, "function");
    if (function == nullptr) continue;
    json spec = {{"name", string_member(*function, "name")}};
    if (std::string description = string_member(*function, "description"); !description.empty())
      spec["description"] = description;
    const json* parameters = member(*function, "parameters");
    spec["inputSchema"] = {{"json", parameters != nullptr && parameters->is_object()
                                        ? *parameters
                                        : json{{"type", "object"}, {"properties", json::object()}}}};
    tools.push_back({{"toolSpec", spec}});
  }
  if (tools.empty()) return nullptr;
  json configuration = {{"tools", tools}};
  const json& choice = request.tool_choice;
  if (choice.is_string()) {
    std::string mode = choice.get<std::string>();
    if (mode == "none" && !conversation_has_tools) return nullptr;
    if (mode == "auto") configuration["toolChoice"] = {{"auto", json::object()}};
    if (mode == "required") configuration["toolChoice"] = {{"any", json::object()}};
  } else if (const json* function = member(choice, "function")) {
    configuration["toolChoice"] = {{"tool", {{"name", string_member(*function, "name")}}}};
  }
  return configuration;
}

}  // namespace

json bedrock_converse_body(const ChatRequest& request) {
  json system = json::array();
  json messages = json::array();
  auto append = [&](const std::string& role, json blocks) {
    if (blocks.empty()) return;
    if (!messages.empty() && messages.back()["role"] == role) {
      for (auto& block : blocks) messages.back()["content"].push_back(std::move(block));
      return;
    }
    messages.push_back({{"role", role}, {"content", std::move(blocks)}});
  };
  for (const auto& message : request.messages) {
    std::string role = string_member(message, "role");
    if (role == "system" || role == "developer") {
      if (std::string text = text_of(member(message, "content")); !text.empty()) system.push_back({{"text", text}});
    } else if (role == "user") {
      append("user", user_blocks(member(message, "content")));
    } else if (role == "assistant") {
      append("assistant", assistant_blocks(message));
    } else if (role == "tool") {
      json result = {{"toolUseId", string_member(message, "tool_call_id")},
                     {"content", json::array({{{"text", text_of(member(message, "content"))}}})}};
      append("user", json::array({{{"toolResult", result}}}));
    } else {
      throw Error(ErrorKind::usage, "the bedrock provider cannot send a message with role '" + role + "'");
    }
  }
  // Prefill: Bedrock refuses a final assistant turn ending in white space.
  if (!messages.empty() && messages.back()["role"] == "assistant") {
    auto& blocks = messages.back()["content"];
    if (blocks.back().contains("text")) {
      std::string text = blocks.back()["text"].get<std::string>();
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
      if (text.empty())
        blocks.erase(blocks.size() - 1);
      else
        blocks.back()["text"] = text;
      if (blocks.empty()) messages.erase(messages.size() - 1);
    }
  }

  json body = {{"messages", messages}};
  if (!system.empty()) body["system"] = system;
  json inference = json::object();
  const auto& sampling = request.sampling;
  if (sampling.max_tokens) inference["maxTokens"] = *sampling.max_tokens;
  if (sampling.temperature) inference["temperature"] = *sampling.temperature;
  if (sampling.top_p) inference["topP"] = *sampling.top_p;
  if (!sampling.stop.empty()) inference["stopSequences"] = sampling.stop;
  if (!inference.empty()) body["inferenceConfig"] = inference;
  if (json tools = tool_configuration(request, has_tool_blocks(messages)); !tools.is_null()) body["toolConfig"] = tools;
  return body;
}

}  // namespace weir
