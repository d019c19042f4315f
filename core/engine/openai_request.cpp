#include "core/engine/openai_request.hpp"

#include "core/error.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

// Fields that shape the exchange rather than the model call.
bool is_exchange_field(const std::string& key) {
  return key == "model" || key == "messages" || key == "prompt" || key == "stream" || key == "stream_options" ||
         key == "metadata" || key == "user" || key == "n" || key == "store";
}

}  // namespace

ChatInput chat_input_from_openai_body(nlohmann::json& body, const Caller& caller, OpenAiStreamChoice& choice) {
  ChatInput input;
  auto model = body.find("model");
  if (model == body.end() || !model->is_string() || model->get_ref<const std::string&>().empty())
    throw Error(ErrorKind::usage, "\"model\" is required: a gateway id, slug or name, or @provider/model");
  input.target = model->get<std::string>();
  require_target_allowed(caller, input.target, "\"model\"");

  auto messages = body.find("messages");
  auto prompt = body.find("prompt");
  if (messages != body.end() && prompt != body.end())
    throw Error(ErrorKind::usage, "send \"messages\" or \"prompt\", not both");
  if (prompt != body.end()) {
    if (!prompt->is_string()) throw Error(ErrorKind::usage, "\"prompt\" must be a string (one user message)");
    input.messages = json::array({{{"role", "user"}, {"content", *prompt}}});
  } else if (messages != body.end()) {
    if (!messages->is_array()) throw Error(ErrorKind::usage, "\"messages\" must be an array of messages");
    input.messages = std::move(*messages);
  } else {
    throw Error(ErrorKind::usage, "\"messages\" is required (or \"prompt\" as a shorthand for one user message)");
  }

  if (auto stream = body.find("stream"); stream != body.end() && !stream->is_null()) {
    if (!stream->is_boolean()) throw Error(ErrorKind::usage, "\"stream\" must be true or false");
    choice.stream = stream->get<bool>();
  }
  if (auto options = body.find("stream_options"); options != body.end() && !options->is_null()) {
    if (!options->is_object()) throw Error(ErrorKind::usage, "\"stream_options\" must be an object");
    choice.include_usage = options->value("include_usage", false);
  }
  if (auto n = body.find("n"); n != body.end() && !n->is_null() && *n != 1)
    throw Error(ErrorKind::usage, "\"n\" must be 1: weir answers with one choice");

  json metadata = json::object();
  if (auto given = body.find("metadata"); given != body.end() && !given->is_null()) {
    if (!given->is_object()) throw Error(ErrorKind::usage, "\"metadata\" must be an object");
    metadata = *given;
  }
  if (auto user = body.find("user"); user != body.end() && user->is_string()) {
    input.user = user->get<std::string>();
    metadata["user"] = input.user;
  }
  if (auto conversation = metadata.find("conversation_id"); conversation != metadata.end() && conversation->is_string())
    input.conversation = conversation->get<std::string>();
  if (!caller.key_name.empty()) metadata["api_key"] = caller.key_name;
  input.metadata = metadata.empty() ? json(nullptr) : metadata;

  for (const auto& [key, value] : body.items())
    if (!is_exchange_field(key)) input.overrides[key] = value;  // never "messages", which was moved out
  input.stream = choice.stream;
  input.front_door = "http";
  input.caller = caller;
  return input;
}

}  // namespace weir
