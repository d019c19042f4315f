#include "core/provider/gemini_request.hpp"
#include "core/provider/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/provider/gemini_schema.hpp"

namespace weir {

namespace {

struct DataUrl {
  std::string mime_type;
  std::string data;  // base64
};

// data:<mime>;base64,<data>; Gemini takes base64 only.
std::optional<DataUrl> parse_data_url(const std::string& url) {
  if (url.rfind("data:", 0) != 0) return std::nullopt;
  auto comma = url.find(',');
  if (comma == std::string::npos) return std::nullopt;
  std::string header = url.substr(5, comma - 5);
  const std::string marker = ";base64";
  if (header.size() < marker.size() || header.compare(header.size() - marker.size(), marker.size(), marker) != 0)
    throw Error(ErrorKind::usage, "a data URL in the messages is not base64 (data:<type>;base64,...); Gemini "
                                  "takes inline data only as base64");
  DataUrl result{header.substr(0, header.size() - marker.size()), url.substr(comma + 1)};
  if (result.mime_type.empty())
    throw Error(ErrorKind::usage, "a data URL in the messages has no MIME type; write data:<type>;base64,...");
  return result;
}

std::string image_type_of(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  auto dot = path.rfind('.');
  std::string extension = dot == std::string::npos || path.find('/', dot) != std::string::npos
                              ? std::string()
                              : ascii_lowercase(path.substr(dot + 1));
  if (extension == "png") return "image/png";
  if (extension == "jpg" || extension == "jpeg") return "image/jpeg";
  if (extension == "webp") return "image/webp";
  if (extension == "gif") return "image/gif";
  if (extension == "heic") return "image/heic";
  if (extension == "heif") return "image/heif";
  return "image/*";
}

json inline_data(const std::string& mime_type, const std::string& data) {
  return {{"inlineData", {{"mimeType", mime_type}, {"data", data}}}};
}

json image_part(const json& part) {
  const json* image = member(part, "image_url");
  std::string url;
  if (image != nullptr) url = image->is_string() ? image->get<std::string>() : string_member(*image, "url");
  if (url.empty()) throw Error(ErrorKind::usage, "an image_url content part has no url");
  if (auto data = parse_data_url(url)) return inline_data(data->mime_type, data->data);
  std::string scheme = ascii_lowercase(url.substr(0, url.find(':')));
  if (scheme != "https" && scheme != "http" && scheme != "gs")
    throw Error(ErrorKind::usage, "an image_url is neither a data URL nor an http(s) URL; Gemini cannot fetch '" +
                                      url.substr(0, 40) + "'");
  return {{"fileData", {{"mimeType", image_type_of(url)}, {"fileUri", url}}}};
}

json audio_part(const json& part) {
  const json* audio = member(part, "input_audio");
  std::string data = audio != nullptr ? string_member(*audio, "data") : std::string();
  std::string format = audio != nullptr ? ascii_lowercase(string_member(*audio, "format")) : std::string();
  if (data.empty() || format.empty())
    throw Error(ErrorKind::usage, "an input_audio content part needs input_audio.data (base64) and .format");
  return inline_data("audio/" + format, data);
}

json file_part(const json& part) {
  const json* file = member(part, "file");
  if (file == nullptr || !file->is_object()) throw Error(ErrorKind::usage, "a file content part has no file object");
  std::string file_data = string_member(*file, "file_data");
  if (file_data.empty())
    throw Error(ErrorKind::usage, "a file content part without file_data (a file_id) cannot go to Gemini; send the "
                                  "file inline as file_data: data:<type>;base64,...");
  auto data = parse_data_url(file_data);
  if (!data) throw Error(ErrorKind::usage, "a file content part's file_data is not a data URL (data:<type>;base64,...)");
  return inline_data(data->mime_type, data->data);
}

json parts_of_content(const json* content, bool text_only, const std::string& role) {
  json parts = json::array();
  if (content == nullptr || content->is_null()) return parts;
  if (content->is_string()) {
    if (!content->get_ref<const std::string&>().empty()) parts.push_back({{"text", *content}});
    return parts;
  }
  if (!content->is_array())
    throw Error(ErrorKind::usage, "a " + role + " message's content is " + std::string(content->type_name()) +
                                      "; it must be text or a list of content parts");
  for (const auto& part : *content) {
    std::string type = string_member(part, "type");
    if (type == "text" || (type.empty() && member(part, "text") != nullptr)) {
      std::string text = string_member(part, "text");
      if (!text.empty()) parts.push_back({{"text", text}});
    } else if (type == "refusal" && text_only) {
      if (std::string text = string_member(part, "refusal"); !text.empty()) parts.push_back({{"text", text}});
    } else if (!text_only && type == "image_url") {
      parts.push_back(image_part(part));
    } else if (!text_only && type == "input_audio") {
      parts.push_back(audio_part(part));
    } else if (!text_only && type == "file") {
      parts.push_back(file_part(part));
    } else {
      throw Error(ErrorKind::usage, "a " + role + " message has a content part of type '" + type +
                                        "', which the gemini provider cannot send; use text, image_url, "
                                        "input_audio or file parts");
    }
  }
  return parts;
}

std::string text_of_content(const json* content, const std::string& role) {
  std::string text;
  for (const auto& part : parts_of_content(content, true, role)) {
    if (!text.empty()) text += "\n";
    text += part["text"].get<std::string>();
  }
  return text;
}

// A tool call's arguments (JSON text) as the args object Gemini wants.
json arguments_object(const std::string& arguments, const std::string& name) {
  if (arguments.empty()) return json::object();
  JsonReadResult read = read_json(arguments);
  if (!read.ok() || !read.value.is_object())
    throw Error(ErrorKind::usage, "the arguments of the tool call to '" + name +
                                      "' in the messages are not a JSON object; Gemini needs them as one");
  return read.value;
}

// A tool's result as the response object Gemini wants.
json response_object(const json* content) {
  std::string text = content == nullptr ? std::string() : content->is_string() ? content->get<std::string>() : std::string();
  if (content != nullptr && content->is_array()) text = text_of_content(content, "tool");
  JsonReadResult read = read_json(text);
  if (read.ok() && read.value.is_object()) return read.value;
  if (read.ok() && !text.empty()) return {{"content", read.value}};
  return {{"content", text}};
}

class ContentsBuilder {
 public:
  explicit ContentsBuilder(const ThoughtSignatures& signatures) : signatures_(signatures) {}

  void add(const json& message) {
    if (!message.is_object()) throw Error(ErrorKind::usage, "a message is not a JSON object");
    std::string role = string_member(message, "role");
    const json* content = member(message, "content");
    if (role == "system" || role == "developer") {
      if (std::string text = text_of_content(content, role); !text.empty()) system_parts_.push_back({{"text", text}});
    } else if (role == "user") {
      append("user", parts_of_content(content, false, role));
    } else if (role == "assistant") {
      add_assistant(message, content);
    } else if (role == "tool" || role == "function") {
      add_tool_result(message, role, content);
    } else {
      throw Error(ErrorKind::usage, "a message has the role '" + role +
                                        "'; the gemini provider takes system, developer, user, assistant and tool");
    }
  }

  json contents() const { return contents_; }
  const json& system_parts() const { return system_parts_; }

 private:
  void add_assistant(const json& message, const json* content) {
    json parts = parts_of_content(content, true, "assistant");
    // The calls of the latest assistant turn are what its tool messages answer.
    call_names_.clear();
    if (const json* calls = member(message, "tool_calls"); calls != nullptr && calls->is_array()) {
      for (const auto& call : *calls) {
        const json* function = member(call, "function");
        std::string name = function != nullptr ? string_member(*function, "name") : std::string();
        if (name.empty()) throw Error(ErrorKind::usage, "an assistant tool call in the messages has no function name");
        const json* arguments = function != nullptr ? member(*function, "arguments") : nullptr;
        std::string arguments_text = arguments == nullptr || arguments->is_null() ? std::string()
                                     : arguments->is_string()                     ? arguments->get<std::string>()
                                                                                  : arguments->dump();
        std::string id = string_member(call, "id");
        json part = {{"functionCall", {{"name", name}, {"args", arguments_object(arguments_text, name)}}}};
        if (auto found = signatures_.find(thought_signature_key(id, name, arguments_text)); found != signatures_.end())
          part["thoughtSignature"] = found->second;
        parts.push_back(std::move(part));
        if (!id.empty()) call_names_[id] = name;
      }
    }
    append("model", std::move(parts));
  }

  void add_tool_result(const json& message, const std::string& role, const json* content) {
    std::string name = string_member(message, "name");
    std::string id = string_member(message, "tool_call_id");
    if (auto found = call_names_.find(id); !id.empty() && found != call_names_.end()) name = found->second;
    if (name.empty())
      throw Error(ErrorKind::usage, "a " + role + " message answers tool_call_id '" + id +
                                        "', which no preceding assistant message called; Gemini needs the "
                                        "function's name, so send the assistant message with its tool_calls first");
    append("user", json::array({{{"functionResponse", {{"name", name}, {"response", response_object(content)}}}}}));
  }

  void append(const std::string& role, json parts) {
    if (parts.empty()) return;
    if (!contents_.empty() && contents_.back()["role"] == role) {
      for (auto& part : parts) contents_.back()["parts"].push_back(std::move(part));
      return;
    }
    contents_.push_back({{"role", role}, {"parts", std::move(parts)}});
  }

  const ThoughtSignatures& signatures_;
  json contents_ = json::array();
  json system_parts_ = json::array();
  std::map<std::string, std::string> call_names_;
};

std::optional<int64_t> thinking_budget(const std::string& effort) {
  if (effort == "none") return 0;
  if (effort == "minimal") return 512;
  if (effort == "low") return 1024;
  if (effort == "medium") return 8192;
  if (effort == "high") return 24576;
  throw Error(ErrorKind::usage, "reasoning_effort '" + effort + "' is not one of none, minimal, low, medium, high");
}

json generation_config(const ChatRequest& request) {
  const SamplingParameters& sampling = request.sampling;
  json config = json::object();
  if (sampling.temperature) config["temperature"] = *sampling.temperature;
  if (sampling.top_p) config["topP"] = *sampling.top_p;
  if (sampling.top_k) config["topK"] = *sampling.top_k;
  if (sampling.max_tokens) config["maxOutputTokens"] = *sampling.max_tokens;
  if (!sampling.stop.empty()) config["stopSequences"] = sampling.stop;
  if (sampling.seed) config["seed"] = *sampling.seed;
  if (sampling.presence_penalty) config["presencePenalty"] = *sampling.presence_penalty;
  if (sampling.frequency_penalty) config["frequencyPenalty"] = *sampling.frequency_penalty;
  if (sampling.reasoning_effort) {
    int64_t budget = *thinking_budget(*sampling.reasoning_effort);
    config["thinkingConfig"] = {{"thinkingBudget", budget}, {"includeThoughts", budget > 0}};
  }
  const json& format = request.response_format;
  if (format.is_object()) {
    std::string type = string_member(format, "type");
    if (type == "json_object") {
      config["responseMimeType"] = "application/json";
    } else if (type == "json_schema") {
      const json* spec = member(format, "json_schema");
      const json* schema = spec != nullptr ? member(*spec, "schema") : nullptr;
      if (schema == nullptr || !schema->is_object())
        throw Error(ErrorKind::usage, "response_format json_schema needs json_schema.schema, a JSON Schema object");
      config["responseMimeType"] = "application/json";
      config["responseSchema"] = gemini_schema_from_json_schema(*schema);
    } else if (type != "text") {
      throw Error(ErrorKind::usage, "response_format type '" + type +
                                        "' is not one of text, json_object, json_schema");
    }
  }
  return config;
}

json tools_of(const json& tools) {
  json declarations = json::array();
  for (const auto& tool : tools) {
    if (string_member(tool, "type") != "function")
      throw Error(ErrorKind::usage, "a tool of type '" + string_member(tool, "type") +
                                        "' cannot go to Gemini; only function tools can");
    const json* function = member(tool, "function");
    std::string name = function != nullptr ? string_member(*function, "name") : std::string();
    if (name.empty()) throw Error(ErrorKind::usage, "a function tool has no name");
    json declaration = {{"name", name}};
    if (std::string description = string_member(*function, "description"); !description.empty())
      declaration["description"] = description;
    // A function without parameters leaves them out: Gemini refuses an
    // OBJECT schema with no properties.
    if (const json* parameters = member(*function, "parameters"); parameters != nullptr && parameters->is_object()) {
      json converted = gemini_schema_from_json_schema(*parameters);
      const json* properties = member(converted, "properties");
      if (properties != nullptr && !properties->empty()) declaration["parameters"] = converted;
    }
    declarations.push_back(std::move(declaration));
  }
  return json::array({{{"functionDeclarations", declarations}}});
}

json tool_config(const json& choice) {
  json config;
  if (choice.is_string() && choice == "auto") {
    config = {{"mode", "AUTO"}};
  } else if (choice.is_string() && choice == "none") {
    config = {{"mode", "NONE"}};
  } else if (choice.is_string() && choice == "required") {
    config = {{"mode", "ANY"}};
  } else if (const json* function = member(choice, "function"); function != nullptr &&
                                                                 !string_member(*function, "name").empty()) {
    config = {{"mode", "ANY"}, {"allowedFunctionNames", json::array({string_member(*function, "name")})}};
  } else {
    throw Error(ErrorKind::usage, "tool_choice " + choice.dump() +
                                      " is not auto, none, required or {\"type\": \"function\", \"function\": "
                                      "{\"name\": ...}}");
  }
  return {{"functionCallingConfig", config}};
}

bool path_character(char character) {
  return std::isalnum(static_cast<unsigned char>(character)) != 0 || character == '-' || character == '.' ||
         character == '_';
}

}  // namespace

std::string thought_signature_key(const std::string& id, const std::string& name, const std::string& arguments) {
  return id + '\n' + name + '\n' + arguments;
}

std::string gemini_model_path(const std::string& model) {
  std::string collection = "models";
  std::string id = model;
  for (const std::string prefix : {"models/", "tunedModels/"})
    if (model.rfind(prefix, 0) == 0) {
      collection = prefix.substr(0, prefix.size() - 1);
      id = model.substr(prefix.size());
    }
  if (id.empty() || !std::all_of(id.begin(), id.end(), path_character))
    throw Error(ErrorKind::usage, "'" + model + "' is not a Gemini model id (letters, digits, '-', '.' and '_', "
                                                "e.g. gemini-2.5-flash); list them with `weir provider models`");
  return "/" + collection + "/" + id;
}

json gemini_request_body(const ChatRequest& request, const ThoughtSignatures& signatures) {
  if (!request.messages.is_array()) throw Error(ErrorKind::usage, "the messages are not a list");
  ContentsBuilder builder(signatures);
  for (const auto& message : request.messages) builder.add(message);
  json body = {{"contents", builder.contents()}};
  if (!builder.system_parts().empty()) body["systemInstruction"] = {{"parts", builder.system_parts()}};
  if (request.tools.is_array() && !request.tools.empty()) {
    body["tools"] = tools_of(request.tools);
    if (!request.tool_choice.is_null()) body["toolConfig"] = tool_config(request.tool_choice);
  }
  if (json config = generation_config(request); !config.empty()) body["generationConfig"] = std::move(config);
  return body;
}

}  // namespace weir
