// POST /v1/chat/completions — the request body becomes a ChatInput for the
// Engine; the Engine's deltas become chat.completion.chunk events as they
// arrive (or, unstreamed, its chat.completion object is the answer).
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/engine.hpp"
#include "core/engine/openai_codec.hpp"
#include "core/engine/openai_request.hpp"
#include "core/error.hpp"
#include "core/policy/caller_policy.hpp"
#include "http/api_routes.hpp"
#include "core/net/error_body.hpp"
#include "core/net/sse_stream.hpp"
#include "core/rag/shared_searcher.hpp"

namespace weir::http {

namespace {

using json = nlohmann::json;

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
  OpenAiStreamChoice choice;
  auto input = chat_input_from_openai_body(body, request.caller, choice);
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
