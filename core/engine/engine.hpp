// Engine — the one pipeline every front door calls (principle 1).
//
// run() takes a ChatInput (request_context.hpp) and walks DESIGN.md "The
// engine pipeline": the preparation stages of pipeline.hpp build the upstream
// request; then the upstream is called through the provider adapter (the tool
// loop runs server-side tools between calls, tool_loop.hpp); the answer's
// deltas pass the request's stream filters (stream_filter.hpp) and reach the
// caller as they arrive (a structured answer is held per attempt, checked
// and asked again until valid: structured_attempts.hpp, around the tool
// loop, because healing calls the upstream again, which a stream filter
// cannot); the finished answer becomes an OpenAI
// chat.completion with `generation_context` (openai_codec.hpp). Every run,
// failed or not, leaves one row in the request log.
//
// describe() stops before the upstream call, for `chat --dry-run`: it searches
// but sends no rewrite (a dry run sends nothing), using the plain query.
//
// The engine's collaborators are injected: the provider factory (a test's
// fake, a routing or caching decorator), a server's shared Searcher and its
// background request-log writer. An Engine serves one thread; make one per
// request or per thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/engine/openai_codec.hpp"
#include "core/engine/pipeline.hpp"
#include "core/engine/request_context.hpp"
#include "core/routing/routing_state.hpp"
#include "core/store/paths.hpp"
#include "core/store/request_log.hpp"

namespace weir {

class Database;
class Searcher;
class RequestLogWriter;
class RequestMetrics;
class Error;

// Makes a stream filter for a request, or returns null when it does not apply.
using StreamFilterFactory = std::function<std::unique_ptr<StreamFilter>(const RequestContext& context)>;

struct EngineOptions {
  // A server's Searcher whose loaded indexes every request reuses; without
  // one, the Engine opens its own on first need.
  Searcher* shared_searcher = nullptr;
  // A server's background writer for the request log row; without one, run()
  // writes the row itself before returning.
  RequestLogWriter* log_writer = nullptr;
  // A server's live counters (`GET /metrics`), given every row; null: none.
  RequestMetrics* metrics = nullptr;
  // How adapters are made; empty: make_provider.
  ProviderFactory providers;
  // What routing shares across requests (circuit breakers); null: the
  // process-wide one, which every Engine of a server then shares.
  std::shared_ptr<RoutingState> routing;
  // A server's memo of what targets resolve to (resolved_targets.hpp), shared
  // by its requests; null: each request reads the store.
  ResolvedTargets* resolved_targets = nullptr;
  // The clock limits and budgets count by (unix ms); empty: the real one.
  std::function<int64_t()> clock;
  // Filters added after the gateway's own (those of pipeline.hpp's output
  // stage), in order: a front door's or a decorator's.
  std::vector<StreamFilterFactory> filters;
};

struct ChatResult {
  json response;          // the chat.completion object, with generation_context
  Completion completion;  // the answer as the caller saw it; content includes the prefill
  // A structured answer (structured_output.hpp): the validated JSON value
  // (completion.content is its text); null for free text.
  json structured = nullptr;
  // The caller asked for the JSON itself instead of a chat completion.
  bool json_only = false;
};

class Engine {
 public:
  Engine(Database& database, Paths paths, EngineOptions options = {});
  ~Engine();

  // The prepared request (every preparation stage run), without sending
  // anything; for tests and tools that inspect what would go upstream.
  RequestContext prepare(const ChatInput& input);
  // {method, url, headers, body} of the upstream call, without sending it.
  json describe(const ChatInput& input);
  // The answer. `on_delta` gets every delta the caller should see, on this
  // thread. A streaming front door learns the answer's identity (for its
  // chunks) from ChatInput::on_prepared: RequestContext::identity.
  // `input` is taken by value: a front door that is done with it moves it in,
  // so a conversation holding megabytes of image data is not copied.
  ChatResult run(ChatInput input, const DeltaCallback& on_delta, const CancelToken& cancel);

  // Returns once every request log row of this engine is in the store (rows
  // go through options.log_writer, when set, behind the answers).
  void flush_request_log();

 private:
  StageServices services();
  ChatResult replay(RequestContext& context, RequestRecord& record, const DeltaCallback& on_delta,
                    std::chrono::steady_clock::time_point start);
  Searcher& searcher();
  void record(RequestRecord record, const Error* failure = nullptr);

  Database& database_;
  Paths paths_;
  EngineOptions options_;
  std::unique_ptr<Searcher> searcher_;  // opened on first use; keeps indexes loaded
};

}  // namespace weir
