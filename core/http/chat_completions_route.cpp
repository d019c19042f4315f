// POST /v1/chat/completions — the request body becomes a ChatInput for the
// Engine; the Engine's deltas become chat.completion.chunk events as they
// arrive (or, unstreamed, its chat.completion object is the answer).
#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/engine/tool_loop.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/http/api_routes.hpp"
#include "core/http/error_body.hpp"
#include "core/http/sse_stream.hpp"
#include "core/rag/shared_searcher.hpp"

namespace weir::http {

namespace {

using json = nlohmann::json;

// Fields that shape the HTTP exchange rather than the model call.
bool is_exchange_field(const std::string& key) {
  return key == "model" || key == "messages" || key == "prompt" || key == "stream" || key == "stream_options" ||
         key == "metadata" || key == "user" || key == "n" || key == "store";
}

struct StreamChoice {
  bool stream = false;
  bool include_usage = false;
};

ChatInput chat_input_from_body(const json& body, const Caller& caller, StreamChoice& choice) {
  ChatInput input;
  auto model = body.find("model");
  if (model == body.end() || !model->is_string() || model->get_ref<const std::string&>().empty())
    throw Error(ErrorKind::usage, "\"model\" is required: a gateway id, slug or name, or @provider/model");
  input.target = model->get<std::string>();
  if (caller.public_key && !is_uuid(input.target))
    throw Error(ErrorKind::permission,
                "public keys must name a gateway by its full id (see `weir gateway show NAME`), not '" + input.target + "'");

  auto messages = body.find("messages");
  auto prompt = body.find("prompt");
  if (messages != body.end() && prompt != body.end())
    throw Error(ErrorKind::usage, "send \"messages\" or \"prompt\", not both");
  if (prompt != body.end()) {
    if (!prompt->is_string()) throw Error(ErrorKind::usage, "\"prompt\" must be a string (one user message)");
    input.messages = json::array({{{"role", "user"}, {"content", *prompt}}});
  } else if (messages != body.end()) {
    if (!messages->is_array()) throw Error(ErrorKind::usage, "\"messages\" must be an array of messages");
    input.messages = *messages;
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
  if (auto user = body.find("user"); user != body.end() && user->is_string()) metadata["user"] = *user;
  if (!caller.key_name.empty()) metadata["api_key"] = caller.key_name;
  input.metadata = metadata.empty() ? json(nullptr) : metadata;

  for (const auto& [key, value] : body.items())
    if (!is_exchange_field(key)) input.overrides[key] = value;
  input.stream = choice.stream;
  input.front_door = "http";
  input.public_caller = caller.public_key;
  return input;
}

// Builds the chat.completion.chunk events of one streamed answer.
class ChunkMaker {
 public:
  explicit ChunkMaker(std::string model)
      : id_("chatcmpl-" + new_uuid_v7()), model_(std::move(model)), created_(now_milliseconds() / 1000) {}

  const std::string& id() const { return id_; }

  json chunk(json delta, json finish_reason = nullptr) const {
    return {{"id", id_},
            {"object", "chat.completion.chunk"},
            {"created", created_},
            {"model", model_},
            {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}})}};
  }

  // The events for one engine delta (none for a usage-only delta: the total
  // usage goes in the final chunk).
  std::vector<json> from_delta(const StreamDelta& delta) {
    std::vector<json> events;
    if (delta.server_tool) {
      events.push_back(server_tool_chunk(*delta.server_tool, id_, model_, created_));
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
    bool has_text = body.size() > 0;
    if (has_text && !delta.finish_reason) events.push_back(chunk(body));
    if (delta.finish_reason) {
      finished_ = true;
      events.push_back(chunk(body, *delta.finish_reason));
    }
    return events;
  }

  bool finished() const { return finished_; }

 private:
  std::string id_;
  std::string model_;
  int64_t created_;
  bool sent_role_ = false;
  bool finished_ = false;
};

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

void handle_chat_completions(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto body = parse_json_body(request);
  StreamChoice choice;
  auto input = chat_input_from_body(body, request.caller, choice);

  CancelToken cancel;
  response.on_disconnect([cancel] { cancel.cancel(); });
  auto database = context.pool.acquire();
  Engine engine(*database, context.pool.paths(), &context.searcher->searcher());

  if (!choice.stream) {
    auto result = engine.run(input, [](const StreamDelta&) {}, cancel);
    response.send(200, "application/json", dump(result.response));
    return;
  }

  SseStream stream(response);
  std::unique_ptr<KeepAliveTicker::Registration> pings;
  if (request.header_or("sse-stream-options").find("no-ping") == std::string::npos) pings = context.keep_alive.add(stream);
  ChunkMaker chunks(input.target);
  ChatResult result;
  try {
    result = engine.run(
        input,
        [&](const StreamDelta& delta) {
          for (const auto& event : chunks.from_delta(delta)) stream.event(dump(event));
        },
        cancel);
  } catch (const Error& error) {
    pings.reset();               // from here on only this thread writes
    if (!stream.begun()) throw;  // nothing sent yet: a plain HTTP error
    if (error.kind() != ErrorKind::interrupted) {
      stream.event(error_body(error));
      stream.event("[DONE]");
    }
    return;
  }
  if (!chunks.finished()) stream.event(dump(chunks.chunk(json::object(), result.completion.finish_reason)));
  if (choice.include_usage) {
    json last = {{"id", chunks.id()},
                 {"object", "chat.completion.chunk"},
                 {"created", result.response.value("created", 0)},
                 {"model", input.target},
                 {"choices", json::array()},
                 {"usage", result.response["usage"]},
                 {"generation_context", result.response["generation_context"]}};
    stream.event(dump(last));
  }
  stream.event("[DONE]");
}

}  // namespace weir::http
