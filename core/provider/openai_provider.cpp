#include "core/provider/json_fields.hpp"
#include "core/provider/openai_provider.hpp"

#include <cmath>
#include <limits>
#include <algorithm>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/provider/api_key.hpp"
#include "core/provider/openai_endpoint.hpp"
#include "core/net/http_client.hpp"
#include "core/provider/sse_parser.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

// ----- small JSON readers that never throw on unexpected shapes -----

// Message content is a string, null, or (in newer APIs) a list of parts.
std::string text_of(const json* content) {
  if (content == nullptr) return {};
  if (content->is_string()) return content->get<std::string>();
  std::string text;
  if (content->is_array())
    for (const auto& part : *content) text += string_member(part, "text");
  return text;
}

// Arguments are JSON text; a few servers send the object itself.
std::string arguments_of(const json& function) {
  const json* arguments = member(function, "arguments");
  if (arguments == nullptr || arguments->is_null()) return {};
  return arguments->is_string() ? arguments->get<std::string>() : arguments->dump();
}

std::optional<Usage> usage_of(const json& object) {
  const json* usage = member(object, "usage");
  if (usage == nullptr || !usage->is_object()) return std::nullopt;
  Usage result;
  result.prompt_tokens = count_member(*usage, "prompt_tokens");
  result.completion_tokens = count_member(*usage, "completion_tokens");
  if (const json* details = member(*usage, "prompt_tokens_details"))
    result.cached_tokens = count_member(*details, "cached_tokens");
  if (const json* details = member(*usage, "completion_tokens_details"))
    result.reasoning_tokens = count_member(*details, "reasoning_tokens");
  return result;
}

std::string reasoning_of(const json& message) {
  std::string reasoning = string_member(message, "reasoning");
  return reasoning.empty() ? string_member(message, "reasoning_content") : reasoning;
}

std::optional<std::string> finish_reason_of(const json& choice) {
  std::string reason = string_member(choice, "finish_reason");
  if (reason.empty()) return std::nullopt;
  return reason;
}

const json* first_choice(const json& object) {
  const json* choices = member(object, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) return nullptr;
  return &choices->front();
}

// One choice's message ("delta" of a streamed chunk, "message" of a whole
// chat.completion) -> the delta that carries it. Tool calls without an
// "index" (whole answers) are numbered by position.
StreamDelta delta_of(const json& object, const char* message_key) {
  StreamDelta delta;
  std::string refusal;
  if (const json* choice = first_choice(object)) {
    if (const json* message = member(*choice, message_key)) {
      delta.content = text_of(member(*message, "content"));
      // A structured-outputs refusal (`message.refusal`) is the answer's
      // text, and a whole answer carrying one finished as content_filter, as
      // the other adapters report refusals. A stream's refusal fragments are
      // text too; its finish chunk cannot tell, so it says what it says.
      refusal = string_member(*message, "refusal");
      if (delta.content.empty()) delta.content = refusal;
      delta.reasoning = reasoning_of(*message);
      if (const json* calls = member(*message, "tool_calls"); calls != nullptr && calls->is_array()) {
        int position = 0;
        for (const auto& call : *calls) {
          ToolCallFragment fragment;
          const json* index = member(call, "index");
          fragment.index = index != nullptr && index->is_number_integer() ? index->get<int>() : position;
          fragment.id = string_member(call, "id");
          if (const json* function = member(call, "function")) {
            fragment.name = string_member(*function, "name");
            fragment.arguments = arguments_of(*function);
          }
          delta.tool_calls.push_back(std::move(fragment));
          ++position;
        }
      }
    }
    delta.finish_reason = finish_reason_of(*choice);
    if (!refusal.empty() && delta.finish_reason) delta.finish_reason = "content_filter";
  }
  delta.usage = usage_of(object);
  return delta;
}

bool carries_something(const StreamDelta& delta) {
  return !delta.content.empty() || !delta.reasoning.empty() || !delta.tool_calls.empty() ||
         delta.finish_reason.has_value() || delta.usage.has_value();
}

// ----- shape checks: a 200 that does not carry a chat answer is an upstream
// error, not an empty success (weir would print nothing and save an empty
// turn). Each returns what is wrong, or "" when the shape is usable. -----

std::string content_shape_problem(const json& message, const std::string& where) {
  if (const json* content = member(message, "content");
      content != nullptr && !content->is_string() && !content->is_null() && !content->is_array())
    return where + ".content is " + std::string(content->type_name()) + ", not text";
  if (const json* calls = member(message, "tool_calls"); calls != nullptr && !calls->is_array() && !calls->is_null())
    return where + ".tool_calls is " + std::string(calls->type_name()) + ", not a list";
  return {};
}

std::string completion_shape_problem(const json& body) {
  const json* choices = member(body, "choices");
  if (choices == nullptr) return "it has no \"choices\"";
  if (!choices->is_array()) return "\"choices\" is " + std::string(choices->type_name()) + ", not a list";
  if (choices->empty()) return "\"choices\" is empty";
  const json& choice = choices->front();
  if (!choice.is_object()) return "choices[0] is " + std::string(choice.type_name()) + ", not an object";
  const json* message = member(choice, "message");
  if (message == nullptr || !message->is_object()) return "choices[0] has no \"message\" object";
  return content_shape_problem(*message, "choices[0].message");
}

// A chunk may carry no choices (a usage chunk has "choices": []), but what it
// carries must have the chunk shape.
std::string chunk_shape_problem(const json& chunk) {
  if (!chunk.is_object()) return "a chunk is " + std::string(chunk.type_name()) + ", not an object";
  const json* choices = member(chunk, "choices");
  if (choices == nullptr || choices->is_null()) return {};
  if (!choices->is_array()) return "\"choices\" is " + std::string(choices->type_name()) + ", not a list";
  for (const auto& choice : *choices) {
    if (!choice.is_object()) return "a choice is " + std::string(choice.type_name()) + ", not an object";
    const json* delta = member(choice, "delta");
    if (delta == nullptr || delta->is_null()) continue;
    if (!delta->is_object()) return "a choice's \"delta\" is " + std::string(delta->type_name()) + ", not an object";
    if (auto problem = content_shape_problem(*delta, "delta"); !problem.empty()) return problem;
  }
  return {};
}

bool has_choice(const json& chunk) {
  const json* choices = member(chunk, "choices");
  return choices != nullptr && choices->is_array() && !choices->empty();
}

json build_body(const ChatRequest& request) {
  json body = request.sampling.to_json();
  body["model"] = request.model;
  body["messages"] = request.messages;
  if (!request.tools.empty()) body["tools"] = request.tools;
  if (!request.tool_choice.is_null()) body["tool_choice"] = request.tool_choice;
  if (!request.response_format.is_null()) body["response_format"] = request.response_format;
  body["stream"] = request.stream;
  // OpenAI rejects stream_options on a non-streaming request.
  if (request.stream) body["stream_options"] = {{"include_usage", true}};
  return body;
}

HeaderList chat_headers(const OpenAiEndpoint& endpoint, bool body, bool stream,
                        const std::optional<std::string>& key_or_placeholder) {
  HeaderList headers;
  if (body) set_header(headers, "Content-Type", "application/json");
  set_header(headers, "Accept", stream ? "text/event-stream" : "application/json");
  for (const auto& [name, value] : endpoint.fixed_headers()) set_header(headers, name, value);
  if (key_or_placeholder) {
    auto [name, value] = endpoint.key_header(*key_or_placeholder);
    set_header(headers, name, value);
  }
  return headers;
}

// Reads one chat-completions answer: SSE chunks ending in [DONE], or one
// chat.completion object. Identity (id, model) is kept from the first object
// that has it.
class ChatCompletionsReader final : public AnswerReader {
 public:
  ChatCompletionsReader(const DeltaCallback& deliver, Completion& completion)
      : deliver_(deliver), completion_(completion) {}

  void on_stream_bytes(std::string_view bytes) override {
    for (const auto& event : parser_.feed(bytes)) on_event(event);
  }

  void on_stream_end() override {
    for (const auto& event : parser_.finish()) on_event(event);
    if (!done_ && !finish_seen_)
      throw Error(ErrorKind::upstream,
                  "upstream closed the stream before finishing (no finish_reason and no [DONE]); the answer is "
                  "incomplete");
  }

  bool stream_complete() const override { return done_; }

  void on_whole_body(const json& body) override {
    if (auto problem = completion_shape_problem(body); !problem.empty())
      throw Error(ErrorKind::upstream, "upstream answered 200 with something that is not a chat completion (" +
                                           problem + "): " + first_bytes(body.dump(-1, ' ', false, json::error_handler_t::replace), 200));
    remember_identity(body);
    deliver_(delta_of(body, "message"));
  }

 private:
  void on_event(const SseEvent& event) {
    if (done_) return;
    std::string_view data = event.data;
    if (data == "[DONE]") {
      if (!choice_seen_)
        throw Error(ErrorKind::upstream,
                    "upstream ended the stream with [DONE] without sending any choice; it does not answer in the "
                    "OpenAI chat-completions stream format");
      done_ = true;
      return;
    }
    JsonReadResult read = read_json(data);
    if (!read.ok()) {
      if (event.event == "error")
        throw Error(ErrorKind::upstream, "upstream error mid-stream: " + first_bytes(data, 500));
      throw Error(ErrorKind::upstream, "upstream sent malformed stream data (" + read.problem->description +
                                           "): " + first_bytes(data, 200));
    }
    const json& chunk = read.value;
    if (member(chunk, "error") != nullptr || event.event == "error") {
      std::string message = upstream_error_message(chunk);
      throw Error(ErrorKind::upstream,
                  "upstream error mid-stream: " + (message.empty() ? first_bytes(data, 500) : message));
    }
    if (auto problem = chunk_shape_problem(chunk); !problem.empty())
      throw Error(ErrorKind::upstream, "upstream sent a stream chunk that is not a chat-completion chunk (" + problem +
                                           "): " + first_bytes(data, 200));
    if (has_choice(chunk)) choice_seen_ = true;
    remember_identity(chunk);
    StreamDelta delta = delta_of(chunk, "delta");
    if (delta.finish_reason) finish_seen_ = true;
    if (carries_something(delta)) deliver_(delta);
  }

  void remember_identity(const json& object) {
    if (std::string id = string_member(object, "id"); !id.empty() && completion_.id.empty()) completion_.id = id;
    if (std::string model = string_member(object, "model"); !model.empty() && completion_.model.empty())
      completion_.model = model;
  }

  const DeltaCallback& deliver_;
  Completion& completion_;
  SseParser parser_;
  bool done_ = false;
  bool finish_seen_ = false;
  bool choice_seen_ = false;
};

}  // namespace

OpenAiProvider::OpenAiProvider(ProviderConfig config)
    : config_(std::move(config)), endpoint_(openai_endpoint_for(config_)) {}

ProviderCapabilities OpenAiProvider::capabilities() const {
  ProviderCapabilities capabilities;
  capabilities.json_schema = endpoint_->enforces_json_schema(config_);
  // OpenAI and Azure OpenAI take image_url, input_audio (audio models) and
  // file parts; Ollama's /v1 takes images (vision models) but neither audio
  // nor files.
  bool openai_service = config_.kind == ProviderKind::openai || config_.kind == ProviderKind::azure;
  capabilities.image_input = true;
  capabilities.audio_input = openai_service;
  capabilities.file_input = openai_service;
  capabilities.embeddings = true;
  capabilities.reasoning = true;
  return capabilities;
}

Completion OpenAiProvider::chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) {
  // Before anything is sent: a missing key must not cost a request.
  auto http = upstream_request(config_, "POST", endpoint_->url(config_, OpenAiOperation::chat_completions, request.model),
                               chat_headers(*endpoint_, true, request.stream, resolve_api_key(config_)),
                               build_body(request).dump());
  Completion completion;
  bool delivered = false;
  const DeltaCallback deliver = [&](const StreamDelta& delta) {
    completion.apply(delta);
    delivered = true;
    if (on_delta) on_delta(delta);
  };
  call_for_answer(
      config_, http, request.model, request.stream,
      [&]() -> std::unique_ptr<AnswerReader> {
        completion = Completion{};
        return std::make_unique<ChatCompletionsReader>(deliver, completion);
      },
      [&] { return delivered; }, cancel);
  return completion;
}

json OpenAiProvider::describe_request(const ChatRequest& request) const {
  std::string placeholder = api_key_placeholder(config_);
  auto http = upstream_request(
      config_, "POST", endpoint_->url(config_, OpenAiOperation::chat_completions, request.model),
      chat_headers(*endpoint_, true, request.stream,
                   placeholder.empty() ? std::nullopt : std::optional<std::string>(placeholder)),
      {}, HeaderReferences::as_written);
  // What is printed: references stay, literal credentials are redacted.
  json headers = json::object();
  for (const auto& [name, value] : http.headers) headers[name] = redact_header_value(name, value);
  return {{"method", "POST"}, {"url", redact_url(http.url)}, {"headers", headers}, {"body", build_body(request)}};
}

std::vector<std::string> OpenAiProvider::models(const CancelToken& cancel) {
  // Before the key: a service that cannot list says so without needing one.
  std::string url = endpoint_->models_url(config_);
  auto http = upstream_request(config_, "GET", std::move(url),
                               chat_headers(*endpoint_, false, false, resolve_api_key(config_)));
  HttpResponse response = exchange_whole_body(config_, http, "", cancel);

  JsonReadResult listing = read_json(response.body);
  const json* data = listing.ok() ? member(listing.value, "data") : nullptr;
  if (data == nullptr || !data->is_array())
    throw Error(ErrorKind::upstream, (config_.name.empty() ? std::string("the upstream") : config_.name) +
                                         " did not answer GET " + redact_url(http.url) +
                                         " with a model list: " + first_bytes(response.body, 200));
  std::vector<std::string> ids;
  for (const auto& model : *data)
    if (std::string id = string_member(model, "id"); !id.empty()) ids.push_back(std::move(id));
  std::sort(ids.begin(), ids.end());
  return ids;
}

json OpenAiProvider::moderations(const std::string& model, const std::string& input, const CancelToken& cancel) {
  if (config_.kind == ProviderKind::azure)
    throw Error(ErrorKind::usage, "provider '" + config_.name +
                                      "' (azure) has no /moderations endpoint weir can call; use moderation mode judge");
  auto http = upstream_request(config_, "POST", upstream_url(config_, "/moderations"),
                               chat_headers(*endpoint_, true, false, resolve_api_key(config_)),
                               json{{"model", model}, {"input", input}}.dump());
  HttpResponse response = exchange_whole_body(config_, http, model, cancel);
  JsonReadResult answer = read_json(response.body);
  if (!answer.ok())
    throw Error(ErrorKind::upstream, (config_.name.empty() ? std::string("the upstream") : config_.name) +
                                         " answered POST " + redact_url(http.url) + " with something not JSON: " +
                                         first_bytes(response.body, 200));
  return std::move(answer.value);
}

std::vector<std::vector<float>> OpenAiProvider::embeddings(const std::string& model,
                                                           const std::vector<std::string>& inputs,
                                                           const CancelToken& cancel) {
  auto http = upstream_request(config_, "POST", endpoint_->url(config_, OpenAiOperation::embeddings, model),
                               chat_headers(*endpoint_, true, false, resolve_api_key(config_)),
                               json{{"model", model}, {"input", inputs}, {"encoding_format", "float"}}.dump());
  HttpResponse response = exchange_whole_body(config_, http, model, cancel);

  auto fail = [&](const std::string& why) {
    return Error(ErrorKind::upstream, (config_.name.empty() ? std::string("the upstream") : config_.name) + " answered POST " + redact_url(http.url) + " with " + why +
                                          ": " + first_bytes(response.body, 200));
  };
  JsonReadResult answer = read_json(response.body);
  const json* data = answer.ok() ? member(answer.value, "data") : nullptr;
  if (data == nullptr || !data->is_array()) throw fail("no embedding list");
  if (data->size() != inputs.size())
    throw fail(std::to_string(data->size()) + " embeddings for " + std::to_string(inputs.size()) + " inputs");
  std::vector<std::vector<float>> vectors(inputs.size());
  for (size_t position = 0; position < data->size(); ++position) {
    const auto& item = (*data)[position];
    size_t slot = position;
    if (const json* index = member(item, "index"); index && index->is_number_unsigned())
      slot = index->get<size_t>();
    const json* embedding = member(item, "embedding");
    if (slot >= vectors.size() || embedding == nullptr || !embedding->is_array() || embedding->empty())
      throw fail("a malformed embedding");
    auto& vector = vectors[slot];
    vector.reserve(embedding->size());
    for (const auto& value : *embedding) {
      if (!value.is_number()) throw fail("a non-numeric embedding value");
      // A double beyond float's range would be undefined behaviour to convert.
      double number = value.get<double>();
      if (!std::isfinite(number) || std::fabs(number) > std::numeric_limits<float>::max())
        throw fail("an embedding value out of range");
      vector.push_back(static_cast<float>(number));
    }
  }
  for (const auto& vector : vectors)
    if (vector.empty()) throw fail("a missing embedding");
  return vectors;
}

}  // namespace weir
