// ChatInput and RequestContext — what a front door hands the engine, and what
// the engine's stages make of it.
//
// A front door fills a ChatInput and nothing else. The engine copies it into
// one RequestContext and runs its named stages over it (pipeline.hpp); each
// stage reads what earlier stages wrote and adds its part. After the
// preparation stages, `request` is exactly what goes upstream. The context
// lives for one request on one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/engine/openai_codec.hpp"
#include "core/engine/prices.hpp"
#include "core/engine/response_cache.hpp"
#include "core/engine/stream_filter.hpp"
#include "core/engine/structured_output.hpp"
#include "core/policy/caller_policy.hpp"
#include "core/policy/guardrails.hpp"
#include "core/policy/hooks.hpp"
#include "core/policy/moderation.hpp"
#include "core/policy/limit_ledger.hpp"
#include "core/provider/provider.hpp"
#include "core/routing/routing_report.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/tools/tool_registry.hpp"

namespace weir {

struct RequestContext;

struct ChatInput {
  std::string target;               // gateway id, slug, name, or @provider/model
  json messages = json::array();    // the conversation, ending with the new user message
  json overrides = json::object();  // request fields; only what the gateway allows
  bool stream = true;               // stream from the upstream
  std::string front_door = "chat";  // recorded in the request log
  json metadata = nullptr;          // recorded in the request log
  Caller caller;                    // who asks (caller_policy.hpp)
  // The end user the request is made for ("" when unknown): the HTTP body's
  // `user`, X-Mcp-User, `weir chat --user`. Per-user tools (memory) and
  // tool calls' context use it; it is not an identity check.
  std::string user;
  // The conversation the request continues ("" when none): `weir chat
  // --session`, or the HTTP body's metadata.conversation_id.
  std::string conversation;
  // Called once the request is prepared, before anything is sent upstream
  // (a streaming front door learns the model its chunks report).
  std::function<void(const RequestContext&)> on_prepared;
  // For a gateway with a routing block: told each upstream attempt as it ends
  // (`weir chat -v` prints them; weir serve names the serving target in its
  // headers).
  std::function<void(const RouteAttempt&, const RoutingReport&)> on_route_attempt;
};

// What retrieval did, for generation_context.retrieval (empty strategy: the
// gateway has no collections).
struct RetrievalReport {
  std::string strategy;            // the effective strategy
  std::string query;               // what was searched ("" for query_function)
  std::string rewrite_error;       // why a rewrite fell back to plain
  json documents = json::array();  // [{collection, docid, ref, score, reference_of?}] injected
};

struct RequestContext {
  ChatInput input;
  // The request log row's id, which the answer names ("" in a dry run).
  std::string request_id;
  // Null while preparing for a dry run: nothing may be sent anywhere.
  const CancelToken* cancel = nullptr;

  // resolve
  Gateway gateway;
  ProviderConfig provider;
  std::unique_ptr<Provider> adapter;
  ProviderCapabilities capabilities;
  std::shared_ptr<const PriceTable> prices;
  // A gateway with a routing block: what routing did (the adapter is its
  // RoutedProvider, which writes it). Null for one upstream.
  std::shared_ptr<RoutingReport> routing;
  // The gateway's response_schema as resolved (compiled once per revision); null: none.
  std::shared_ptr<const JsonSchema> gateway_response_schema;
  // The gateway's compiled guardrails (never null; empty for none).
  std::shared_ptr<const GuardSet> guards;
  // The gateway's moderation block and its provider, as resolved (nullopt: off).
  std::optional<ModerationSettings> moderation_settings;
  ProviderConfig moderation_provider;
  // The gateway's hooks as resolved (never null once resolved; empty for none).
  std::shared_ptr<const HookSet> hook_set;
  // limits: what the ledger counted (settled when the request ends)
  Admission admission;
  // The providers with a budget that may serve this request (the gateway's,
  // or its routing targets'): charged what they served when it ends.
  std::vector<ProviderConfig> budgeted_providers;
  // cache: how the request met the gateway's response cache; a hit ends the
  // preparation (response_cache.hpp)
  CacheLookup cache;
  // overrides
  json client_tools = json::array();  // the request's own tools
  // instructions .. context budget
  ChatRequest request;           // exactly what goes upstream, once prepared
  std::string prefill;           // also the trailing assistant message of request.messages
  int dropped_messages = 0;      // removed by on_overflow = truncate
  RetrievalReport retrieval;
  ToolRegistry tools;            // server-side tools offered to the model
  // structured_output: the shape the answer must have (nullopt: free text);
  // the engine checks and heals each answer (structured_attempts.hpp).
  std::optional<StructuredOutput> structured;
  // guardrails: the placeholders of masked input and every intervention
  // (the output filters add theirs while the answer streams).
  std::shared_ptr<GuardrailRun> guardrails = std::make_shared<GuardrailRun>();
  // moderation: the scores and what was flagged (null: not moderated).
  json moderation = nullptr;
  // hooks: calls the gateway's hooks (message.received in its stage,
  // tool.called from the tool loop) and keeps their notes; null before it.
  std::shared_ptr<HookDispatcher> hooks;
  // output
  AnswerIdentity identity;  // id, model and time of the completion and its chunks
  std::vector<std::unique_ptr<StreamFilter>> filters;  // in order, upstream first
  json usage_lines = json::array();  // generated_usage of auxiliary calls (a query rewrite)
};

}  // namespace weir
