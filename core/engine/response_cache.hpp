// Response cache — the `cache` stage of the pipeline and what the engine
// does with its answer (DESIGN.md "The engine pipeline", step 2; issue 18).
//
// The stage runs after caller_policy, resolve, overrides and limits (a hit
// is a request like any: the caller's rules and the rpm count apply) and
// before everything that costs: instructions, guardrails, moderation,
// retrieval, tools, the upstream call. A hit stops the preparation there
// (prepare_request() returns) and the engine replays the stored answer.
//
// The key. Everything the answer depends on that is known at this point:
// the gateway (id) and its effective configuration after the request's
// overrides (sampling, stop, system, prefill... all of it but the `cache`
// block itself), the generation and last change of each collection it
// retrieves from (an import, add, delete, reset or context change makes the
// next request miss), whether the caller may use server-side tools, the
// request's response_format and tool_choice, the user when the gateway keeps
// per-user memories, and the messages. `context_key` hashes all of it but the
// last message; `key` hashes the context key and the last message (exact
// mode: one indexed point read). Semantic mode embeds the text of the last
// message when it is the user's (only that message: a paraphrase of the
// question, with the earlier conversation identical, is the same request) with
// the local embedder and finds the most similar stored prompt under the same
// context key (semantic_cache_index.hpp); an exact key match is tried first.
// What the key does not see: the contents of system_files and system_urls,
// the results of server-side tools and hooks; the TTL bounds how stale those
// can be.
//
// Bypass (status "bypass", nothing read or stored): the request turns the
// cache off (`-o cache=false`, HTTP `Cache-Control: no-cache`), brings its
// own tools (their calls are the caller's to run), or samples above the
// block's max_temperature. A dry run neither reads nor writes.
//
// Storing: only a complete answer (finish "stop" or "length", no tool calls)
// of a request that missed, after the output filters (what the caller saw),
// with the pieces its deltas came in so a replay streams the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/cache_settings.hpp"
#include "core/provider/provider.hpp"
#include "core/store/response_cache_repository.hpp"

namespace weir {

class Database;
struct RequestContext;

// How a request met its gateway's cache, filled by the cache stage.
struct CacheLookup {
  std::string status;  // "" (no cache, or a dry run), "hit", "miss", "bypass"
  std::string reason;  // why a bypass
  bool refused_by_request = false;  // overrides: `cache: false`
  CacheSettings settings;
  std::string key;
  std::string context_key;
  std::string prompt;  // semantic: the embedded text ("" when the last message is not the user's)
  std::vector<float> embedding;
  std::optional<CachedAnswer> hit;
  double similarity = 1;  // of a semantic hit's prompt (1 for an exact one)

  // generation_context.cache: {status, reason?, similarity?, saved?, stored_at?}
  nlohmann::json to_json() const;
};

// A prompt's embedding as semantic lookups compare it: the local embedder's
// (512 dimensions, unit length; all zeros for a text with no features).
std::vector<float> embed_cache_prompt(std::string_view prompt);

// The cache stage; `now` in unix ms. Reads the store; never writes.
void look_up_response_cache(RequestContext& context, Database& database, int64_t now);

// Emits the stored answer through `on_delta` (reasoning, the content pieces,
// then the finish with its original usage) and returns it folded.
Completion replay_cached_answer(const CachedAnswer& entry, const DeltaCallback& on_delta);

// Stores the answer of a request whose lookup missed, if it is complete (see
// the header). `pieces`: the content of each delta as the caller got it.
// `cost`: the answer's USD. Error(runtime) from the store.
void store_cached_answer(const RequestContext& context, Database& database, int64_t now, const Completion& shown,
                         const std::vector<std::string>& pieces, double cost, const nlohmann::json& structured,
                         bool json_only);

}  // namespace weir
