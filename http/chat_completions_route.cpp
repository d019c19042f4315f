// POST /v1/chat/completions — the request body becomes a ChatInput for the
// Engine; the Engine's deltas become chat.completion.chunk events as they
// arrive (or, unstreamed, its chat.completion object is the answer).
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/engine/openai_codec.hpp"
#include "core/error.hpp"
#include "core/policy/caller_policy.hpp"
#include "http/api_routes.hpp"
#include "core/net/error_body.hpp"
#include "core/net/sse_stream.hpp"
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

// Takes the messages out of `body` (moved, not copied: they may hold
// megabytes of base64 image or audio data).
ChatInput chat_input_from_body(json& body, const Caller& caller, StreamChoice& choice) {
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

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// What routing did, for a client that wants it without parsing the body:
// the target serving the answer, the tries it took, the complexity tier.
HeaderList routing_headers(const std::string& target, int tries, const std::optional<ComplexityTier>& tier) {
  HeaderList headers = {{"X-Weir-Target", target}, {"X-Weir-Attempts", std::to_string(tries)}};
  if (tier) headers.emplace_back("X-Model-Routed-Complexity", std::string(enum_name(*tier)));
  return headers;
}

// How the request met the gateway's response cache (none: the gateway has no cache).
void add_cache_status(HeaderList& headers, const std::string& status) {
  if (!status.empty()) headers.emplace_back("X-Weir-Cache", status);
}

// `Cache-Control: no-cache` (or no-store) asks for a fresh answer: the
// request bypasses the gateway's response cache, as `cache: false` does.
bool refuses_cache(const Request& request) {
  auto control = request.header_or("cache-control");
  return control.find("no-cache") != std::string::npos || control.find("no-store") != std::string::npos;
}

// A spent budget whose action is warn: the request is answered, and says so.
void add_budget_warning(HeaderList& headers, const std::vector<std::string>& warnings) {
  if (!warnings.empty()) headers.emplace_back("X-Weir-Budget-Warning", warnings.front());
}

}  // namespace

void handle_chat_completions(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto body = parse_json_body(request);
  StreamChoice choice;
  auto input = chat_input_from_body(body, request.caller, choice);
  if (refuses_cache(request)) input.overrides["cache"] = false;

  CancelToken cancel;
  response.on_disconnect([cancel] { cancel.cancel(); });
  auto database = context.pool.acquire();
  EngineOptions options;
  options.shared_searcher = &context.searcher->searcher();
  options.log_writer = &context.log_writer;
  options.metrics = &context.metrics;
  options.resolved_targets = &context.resolved_targets;
  Engine engine(*database, context.pool.paths(), options);

  std::shared_ptr<const RoutingReport> routing;
  std::vector<std::string> budget_warnings;
  std::string cache_status;
  if (!choice.stream) {
    input.on_prepared = [&routing, &budget_warnings, &cache_status](const RequestContext& prepared) {
      routing = prepared.routing;
      budget_warnings = prepared.admission.budget_warnings;
      cache_status = prepared.cache.status;
    };
    auto result = engine.run(std::move(input), [](const StreamDelta&) {}, cancel);
    HeaderList headers;
    if (routing && !routing->served_provider.empty())
      headers = routing_headers(routing->served_provider + "/" + routing->served_model, routing->tries(),
                                routing->tier);
    add_budget_warning(headers, budget_warnings);
    add_cache_status(headers, cache_status);
    // json_only: the validated JSON is the body (generation_context stays in the request log).
    const bool json_only = result.json_only && !result.structured.is_null();
    response.send(200, "application/json", dump(json_only ? result.structured : result.response), headers);
    return;
  }

  SseStream stream(response);
  std::unique_ptr<KeepAliveTicker::Registration> pings;
  if (request.header_or("sse-stream-options").find("no-ping") == std::string::npos) pings = context.keep_alive.add(stream);
  std::optional<ChunkWriter> chunks;
  // json_only: one event carrying the validated JSON, then [DONE]; the deltas
  // are kept only for a turn that ends in the client's tool calls (no JSON yet).
  bool json_only = false;
  std::vector<StreamDelta> held;
  input.on_prepared = [&chunks, &routing, &json_only, &stream, &budget_warnings,
                       &cache_status](const RequestContext& prepared) {
    chunks.emplace(prepared.identity);
    routing = prepared.routing;
    json_only = prepared.structured && prepared.structured->json_only;
    if (prepared.cache.hit) json_only = prepared.cache.hit->answer.value("json_only", false);
    budget_warnings = prepared.admission.budget_warnings;
    cache_status = prepared.cache.status;
    HeaderList headers;
    add_budget_warning(headers, prepared.admission.budget_warnings);
    add_cache_status(headers, prepared.cache.status);
    if (!headers.empty()) stream.set_headers(std::move(headers));
  };
  ChatResult result;
  try {
    result = engine.run(
        std::move(input),
        [&](const StreamDelta& delta) {
          if (json_only) {
            if (!delta.server_tool) held.push_back(delta);
            return;
          }
          // The first delta comes from the target that serves: its head names it.
          if (routing && !routing->trying.empty() && !stream.begun()) {
            auto headers = routing_headers(routing->trying, routing->tries(), routing->tier);
            add_budget_warning(headers, budget_warnings);
            add_cache_status(headers, cache_status);
            stream.set_headers(std::move(headers));
          }
          for (const auto& event : chunks->chunks_for(delta)) stream.event(dump(event));
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
  if (json_only && !result.structured.is_null()) {
    stream.event(dump(result.structured));
    stream.event("[DONE]");
    return;
  }
  for (const auto& delta : held)
    for (const auto& event : chunks->chunks_for(delta)) stream.event(dump(event));
  for (const auto& event : chunks->finish(result.completion.finish_reason)) stream.event(dump(event));
  if (choice.include_usage)
    stream.event(dump(chunks->usage_chunk(result.response["usage"], result.response["generation_context"])));
  stream.event("[DONE]");
}

}  // namespace weir::http
