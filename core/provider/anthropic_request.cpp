#include "core/provider/anthropic_request.hpp"
#include "core/provider/json_fields.hpp"
#include "core/provider/anthropic_answer_tool.hpp"

#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

Error usage_error(const std::string& what) {
  return Error(ErrorKind::usage, "the anthropic provider cannot send this request: " + what);
}

// Prompt caching is opt-in per block; a part that asks for it keeps asking.
void keep_cache_control(const json& part, json& block) {
  if (const json* cache = member(part, "cache_control"); cache != nullptr && cache->is_object())
    block["cache_control"] = *cache;
}

json text_block(std::string text) { return {{"type", "text"}, {"text", std::move(text)}}; }

struct DataUrl {
  std::string media_type;
  std::string data;  // base64
};

// "data:<media type>;base64,<data>"; nullopt for anything else (Anthropic
// takes base64 only, so a percent-encoded data URL is not accepted either).
std::optional<DataUrl> parse_data_url(std::string_view url) {
  constexpr std::string_view kPrefix = "data:";
  if (url.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  size_t comma = url.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view header = url.substr(kPrefix.size(), comma - kPrefix.size());
  constexpr std::string_view kBase64 = ";base64";
  if (header.size() < kBase64.size() || header.substr(header.size() - kBase64.size()) != kBase64) return std::nullopt;
  std::string_view media_type = header.substr(0, header.size() - kBase64.size());
  // Parameters such as ";charset=..." are not part of Anthropic's media type.
  media_type = media_type.substr(0, media_type.find(';'));
  if (media_type.empty()) return std::nullopt;
  return DataUrl{std::string(media_type), std::string(url.substr(comma + 1))};
}

bool is_web_url(std::string_view url) {
  return url.substr(0, 8) == "https://" || url.substr(0, 7) == "http://";
}

json image_block(const json& part) {
  // OpenAI's shape is {"image_url": {"url": ...}}; some clients send the URL itself.
  const json* image = member(part, "image_url");
  std::string url = image != nullptr && image->is_string() ? image->get<std::string>()
                                                           : (image != nullptr ? string_member(*image, "url") : "");
  json block = {{"type", "image"}};
  if (auto data = parse_data_url(url)) {
    if (data->media_type.rfind("image/", 0) != 0)
      throw usage_error("an image_url part holds a data URL of type '" + data->media_type +
                        "', not an image; send image/jpeg, image/png, image/gif or image/webp");
    block["source"] = {{"type", "base64"}, {"media_type", data->media_type}, {"data", data->data}};
  } else if (is_web_url(url)) {
    block["source"] = {{"type", "url"}, {"url", url}};
  } else {
    throw usage_error("an image_url part must hold a base64 data URL (data:image/png;base64,...) or an https URL");
  }
  keep_cache_control(part, block);
  return block;
}

json document_block(const json& part) {
  const json* file = member(part, "file");
  std::string file_data = file != nullptr ? string_member(*file, "file_data") : "";
  if (file_data.empty())
    throw usage_error(file != nullptr && member(*file, "file_id") != nullptr
                          ? "a file part refers to an uploaded file_id, which Anthropic cannot read; send the file "
                            "inline as file_data (data:application/pdf;base64,...)"
                          : "a file part has no file_data; send the PDF as data:application/pdf;base64,...");
  auto data = parse_data_url(file_data);
  if (!data || data->media_type != "application/pdf")
    throw usage_error("a file part must hold a PDF as a base64 data URL (data:application/pdf;base64,...)" +
                      (data ? ", not '" + data->media_type + "'" : std::string()));
  json block = {{"type", "document"},
                {"source", {{"type", "base64"}, {"media_type", "application/pdf"}, {"data", data->data}}}};
  keep_cache_control(part, block);
  return block;
}

// A message's content as blocks. `allow_media`: user turns may carry images
// and documents; assistant and tool text may not.
json content_blocks(const json* content, const std::string& role, bool allow_media) {
  json blocks = json::array();
  if (content == nullptr || content->is_null()) return blocks;
  if (content->is_string()) {
    // Anthropic rejects empty text blocks; an empty message adds nothing.
    if (!content->get_ref<const std::string&>().empty()) blocks.push_back(text_block(content->get<std::string>()));
    return blocks;
  }
  if (!content->is_array())
    throw usage_error("a " + role + " message's content is " + std::string(content->type_name()) +
                      "; it must be text or a list of content parts");
  for (const auto& part : *content) {
    std::string type = string_member(part, "type");
    if (type == "text") {
      std::string text = string_member(part, "text");
      if (text.empty()) continue;
      json block = text_block(std::move(text));
      keep_cache_control(part, block);
      blocks.push_back(std::move(block));
    } else if (allow_media && type == "image_url") {
      blocks.push_back(image_block(part));
    } else if (allow_media && type == "file") {
      blocks.push_back(document_block(part));
    } else {
      throw usage_error("a " + role + " message has a content part of type '" +
                        (type.empty() ? std::string("(none)") : type) + "', which Anthropic cannot take" +
                        (allow_media ? "; use text, image_url or file (PDF) parts" : "; use text parts"));
    }
  }
  return blocks;
}

std::string system_text(const json* content) {
  json blocks = content_blocks(content, "system", false);
  std::string text;
  for (const auto& block : blocks) {
    if (!text.empty()) text += "\n\n";
    text += block["text"].get<std::string>();
  }
  return text;
}

// Tool arguments are JSON text; Anthropic wants the object. A model's
// unparseable arguments (an answer cut off by max_tokens) become {} rather
// than failing the whole conversation.
json tool_input(const json& function) {
  const json* arguments = member(function, "arguments");
  if (arguments == nullptr || arguments->is_null()) return json::object();
  if (arguments->is_object()) return *arguments;
  if (!arguments->is_string()) return json::object();
  JsonReadResult parsed = read_json(arguments->get<std::string>());
  return parsed.ok() && parsed.value.is_object() ? parsed.value : json::object();
}

json tool_use_blocks(const json& calls) {
  json blocks = json::array();
  if (!calls.is_array()) throw usage_error("an assistant message's tool_calls is not a list");
  for (const auto& call : calls) {
    const json* function = member(call, "function");
    std::string id = string_member(call, "id");
    std::string name = function != nullptr ? string_member(*function, "name") : "";
    if (id.empty() || name.empty()) throw usage_error("an assistant tool call has no id or no function name");
    blocks.push_back({{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", tool_input(*function)}});
  }
  return blocks;
}

json tool_result_block(const json& message) {
  std::string id = string_member(message, "tool_call_id");
  if (id.empty()) throw usage_error("a tool message has no tool_call_id");
  json block = {{"type", "tool_result"}, {"tool_use_id", id}};
  json content = content_blocks(member(message, "content"), "tool", false);
  if (!content.empty()) block["content"] = std::move(content);
  return block;
}

// Anthropic refuses a final assistant turn whose text ends in white space;
// the model continues the same words without it.
void trim_prefill(json& turns) {
  if (turns.empty() || turns.back()["role"] != "assistant") return;
  json& content = turns.back()["content"];
  json& last = content.back();
  if (last["type"] != "text") return;
  std::string text = last["text"].get<std::string>();
  text.erase(text.find_last_not_of(" \t\r\n") + 1);
  if (!text.empty()) {
    last["text"] = text;
    return;
  }
  content.erase(content.size() - 1);
  if (content.empty()) turns.erase(turns.size() - 1);
}

json messages_of(const json& messages, std::string& system) {
  json turns = json::array();
  auto add = [&](const std::string& role, json blocks) {
    if (blocks.empty()) return;
    if (!turns.empty() && turns.back()["role"] == role) {
      for (auto& block : blocks) turns.back()["content"].push_back(std::move(block));
      return;
    }
    turns.push_back({{"role", role}, {"content", std::move(blocks)}});
  };
  if (!messages.is_array()) throw usage_error("messages is not a list");
  for (const auto& message : messages) {
    if (!message.is_object()) throw usage_error("a message is not an object");
    std::string role = string_member(message, "role");
    const json* content = member(message, "content");
    if (role == "system" || role == "developer") {
      std::string text = system_text(content);
      if (text.empty()) continue;
      if (!system.empty()) system += "\n\n";
      system += text;
    } else if (role == "user") {
      add("user", content_blocks(content, role, true));
    } else if (role == "assistant") {
      json blocks = content_blocks(content, role, false);
      if (const json* calls = member(message, "tool_calls"); calls != nullptr && !calls->is_null())
        for (auto& block : tool_use_blocks(*calls)) blocks.push_back(std::move(block));
      add("assistant", std::move(blocks));
    } else if (role == "tool") {
      add("user", json::array({tool_result_block(message)}));
    } else {
      throw usage_error("a message has role '" + role + "'; use system, user, assistant or tool");
    }
  }
  trim_prefill(turns);
  return turns;
}

json tools_of(const json& tools) {
  json result = json::array();
  for (const auto& tool : tools) {
    const json* function = member(tool, "function");
    if (string_member(tool, "type") != "function" || function == nullptr || !function->is_object())
      throw usage_error("a tool of type '" + string_member(tool, "type") + "'; only function tools can be sent");
    std::string name = string_member(*function, "name");
    if (name.empty()) throw usage_error("a function tool has no name");
    json entry = {{"name", name}};
    if (std::string description = string_member(*function, "description"); !description.empty())
      entry["description"] = description;
    const json* parameters = member(*function, "parameters");
    entry["input_schema"] = parameters != nullptr && parameters->is_object() ? *parameters : json{{"type", "object"}};
    result.push_back(std::move(entry));
  }
  return result;
}

json tool_choice_of(const json& choice) {
  if (choice.is_string()) {
    const auto& text = choice.get_ref<const std::string&>();
    if (text == "auto") return {{"type", "auto"}};
    if (text == "required") return {{"type", "any"}};
    if (text == "none") return {{"type", "none"}};
  } else if (const json* function = member(choice, "function");
             string_member(choice, "type") == "function" && function != nullptr) {
    if (std::string name = string_member(*function, "name"); !name.empty()) return {{"type", "tool"}, {"name", name}};
  }
  throw usage_error("tool_choice " + choice.dump() +
                    " is not one of \"auto\", \"required\", \"none\" or {\"type\": \"function\", \"function\": "
                    "{\"name\": ...}}");
}

}  // namespace

std::optional<int64_t> thinking_budget_for(std::string_view reasoning_effort) {
  if (reasoning_effort == "none" || reasoning_effort == "minimal") return std::nullopt;
  if (reasoning_effort == "low") return 1024;
  if (reasoning_effort == "medium") return 4096;
  if (reasoning_effort == "high") return 16384;
  throw Error(ErrorKind::usage, "reasoning_effort '" + std::string(reasoning_effort) +
                                    "' is not one of none, minimal, low, medium, high");
}

json anthropic_messages_body(const ChatRequest& request) {
  const SamplingParameters& sampling = request.sampling;
  std::string system;
  json messages = messages_of(request.messages, system);

  int64_t max_tokens = sampling.max_tokens.value_or(kDefaultMaxTokens);
  std::optional<int64_t> budget;
  if (sampling.reasoning_effort) budget = thinking_budget_for(*sampling.reasoning_effort);
  // Anthropic counts thinking inside max_tokens and needs room after it.
  if (budget && max_tokens <= *budget) max_tokens += *budget;

  json body = {{"model", request.model}, {"max_tokens", max_tokens}};
  if (!system.empty()) body["system"] = system;
  body["messages"] = std::move(messages);
  if (budget) body["thinking"] = {{"type", "enabled"}, {"budget_tokens", *budget}};
  // With thinking on, Anthropic refuses temperature and top_k, top_p under
  // 0.95 and forced tool use: a gateway's sampling stays for its other
  // models, and this one thinks with the defaults and chooses its tools.
  if (sampling.temperature && !budget) body["temperature"] = *sampling.temperature;
  if (sampling.top_p && (!budget || *sampling.top_p >= 0.95)) body["top_p"] = *sampling.top_p;
  if (sampling.top_k && !budget) body["top_k"] = *sampling.top_k;
  if (!sampling.stop.empty()) body["stop_sequences"] = sampling.stop;
  bool other_tools = request.tools.is_array() && !request.tools.empty();
  if (other_tools) {
    body["tools"] = tools_of(request.tools);
    if (!request.tool_choice.is_null()) {
      json choice = tool_choice_of(request.tool_choice);
      if (budget && (choice.value("type", "") == "any" || choice.value("type", "") == "tool"))
        choice = {{"type", "auto"}};
      body["tool_choice"] = std::move(choice);
    }
  }
  // A json_schema answer travels as a forced tool (anthropic_answer_tool.hpp),
  // unless the client's own choice rules tools out ("none": the answer comes
  // as text, still checked) or names the tool to call first.
  const std::string chosen = body.contains("tool_choice") ? body["tool_choice"].value("type", "") : "";
  if (auto answer_tool = chosen == "none" ? std::nullopt : anthropic_answer_tool(request)) {
    if (!body.contains("tools")) body["tools"] = json::array();
    body["tools"].push_back(std::move(*answer_tool));
    if (budget) body["tool_choice"] = {{"type", "auto"}};
    else if (chosen == "tool") {}  // the client's tool first; the answer tool stays offered
    else if (other_tools) body["tool_choice"] = {{"type", "any"}};
    else body["tool_choice"] = {{"type", "tool"}, {"name", kAnswerToolName}};
  }
  body["stream"] = request.stream;
  return body;
}

}  // namespace weir
