// Pipeline — the named stages that turn a ChatInput into the upstream
// request (DESIGN.md "The engine pipeline").
//
// Each stage is one function over the RequestContext, run in the order of
// preparation_stages():
//   caller_policy   refuse what the caller may not ask (a public key naming a
//                   gateway by name); drop the fields it may not set
//   resolve         the gateway (or bare model), its provider and adapter (for
//                   a routing block, a RoutedProvider over every target's),
//                   the adapter's capabilities, the price table (a malformed
//                   prices.json stops here, before anything is sent)
//   overrides       merge the request fields the gateway allows; sampling,
//                   stop, the client's tools, tool_choice, response_format;
//                   `cache: false` (any request may turn the cache off)
//   limits          the gateway's and the API key's limits and budgets
//                   (request_limits.hpp): refuse with 429, or count the
//                   request; not in a dry run
//   cache           the gateway's response cache (response_cache.hpp): a
//                   hit ends the preparation here, and the engine replays
//                   the stored answer; not in a dry run
//   instructions    system text, the conversation, prompt template, prefill
//   content_parts   every message's content parts well formed, and of types
//                   the adapter's capabilities take (content_parts.hpp)
//   guardrails      the input guards over the caller's messages: deny
//                   (Error guardrail_violation), mask (placeholders, in the
//                   conversation retrieval and routing read too), warn
//                   (core/policy/guardrails.hpp); before retrieval, whose
//                   query rewrite is the first thing that may go upstream
//   moderation      the gateway's moderation block: a judge model or a
//                   moderation endpoint scores the caller's conversation; one
//                   above a threshold is replaced by an instruction to decline
//                   (moderation_check.hpp); not in a dry run
//   retrieval       search by strategy and inject, or register the
//                   collection search tool source (query_function)
//   tools           add the gateway's MCP servers (mcp_servers; not for
//                   public-key callers, not in a dry run), then offer every
//                   registered tool source's tools beside the client's (a
//                   name clash is refused, naming both owners)
//   tool_window     tool_result_window over the conversation
//   structured_output  the answer's required shape (response_format
//                   json_schema / json_object, or the gateway's
//                   response_schema / json_only): instructions in the system
//                   text, response_format in the form adapters render natively
//   context_budget  max_context_tokens: error or truncate
//   hooks           the gateway's message.received hooks (core/policy/hooks.hpp)
//                   over the request as it would go upstream: each may
//                   rewrite it (hook_actions.hpp) or stop it with an error
//                   naming the hook; not in a dry run. Keeps the dispatcher
//                   for the tool loop's tool.called hooks
//   output          the request's stream filters: the prefill (unless the
//                   answer is structured: it is checked with its prefill),
//                   the output guards (output_guard_filter.hpp), then the
//                   unmasking of input placeholders (unmask_filter.hpp)
// After them, context.request is exactly what goes upstream. A later
// capability adds a stage here (limits, cache lookup, guardrails) or a tool
// source / stream filter inside one.
//
// Every stage may throw weir::Error; the engine logs it and the front door
// shows it. A stage sends nothing upstream unless context.cancel is set (a
// dry run leaves it null).
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "core/engine/request_context.hpp"
#include "core/routing/routing_state.hpp"
#include "core/store/paths.hpp"

namespace weir {

class Database;
class ResolvedTargets;
class Searcher;

// What the stages use besides the request.
struct StageServices {
  Database& database;
  const Paths& paths;
  const ProviderFactory& providers;
  std::function<Searcher&()> searcher;  // opened on first use
  // Circuit breakers, clock and chance for gateways that route (shared by a server's requests).
  const std::shared_ptr<RoutingState>& routing;
  // A server's memo of resolved targets; null: read the store every time.
  ResolvedTargets* resolved_targets = nullptr;
  // The clock limits and budgets count by (unix ms); empty: the real one.
  std::function<int64_t()> clock;
};

struct Stage {
  std::string_view name;
  void (*run)(RequestContext& context, StageServices& services);
};

const std::vector<Stage>& preparation_stages();

// Runs every preparation stage in order, or up to the cache stage when it
// found a stored answer (context.cache.hit).
void prepare_request(RequestContext& context, StageServices& services);

}  // namespace weir
