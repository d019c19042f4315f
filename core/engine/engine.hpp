// Engine — the one pipeline every front door calls (principle 1).
//
// run() takes a ChatInput (a target, the conversation, request overrides),
// and walks DESIGN.md "The engine pipeline": resolve the target, merge the
// overrides the gateway allows, assemble instructions (system text and files,
// prompt template, prefill), fit the context budget, call the upstream through
// its provider adapter, and fold the result into an OpenAI chat.completion with
// `generation_context`. Deltas reach the caller as they arrive; the prefill is
// delivered as the first content delta so the printed answer starts with it.
// Every run, failed or not, leaves one row in the request log.
//
// Gateways with collections (the `rag` block) add retrieval: the collections'
// context texts are appended to the system text; an injection strategy
// searches (after a query rewrite for user_rewrite / full_rewrite) and puts
// the documents at the start of the last user message
// (document_injection.hpp); query_function offers search tools instead and
// the tool loop runs them (tool_loop.hpp). The documents also travel in
// ChatRequest::grounding, which the extractive provider answers from; with
// that provider, query_function searches like plain (it cannot call tools).
//
// prepare() stops before the upstream call, for `chat --dry-run`; it searches
// but sends no rewrite (a dry run sends nothing), using the plain query.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/engine/prices.hpp"
#include "core/provider/provider.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/paths.hpp"
#include "core/store/request_log.hpp"

namespace weir {

class Database;
class Searcher;
class CollectionSearchTools;

struct ChatInput {
  std::string target;                     // gateway id, slug, name, or @provider/model
  json messages = json::array();          // the conversation, ending with the new user message
  json overrides = json::object();        // request fields; only what the gateway allows
  bool stream = true;                     // stream from the upstream
  std::string front_door = "chat";        // recorded in the request log
  json metadata = nullptr;                // recorded in the request log
  // A caller holding a public API key (`weir serve`): the request's own tools
  // are dropped and the gateway offers no server-side tools (query_function
  // retrieval is done as plain injection instead).
  bool public_caller = false;
};

struct PreparedChat {
  Gateway gateway;
  ProviderConfig provider;
  ChatRequest request;        // exactly what goes upstream
  std::string prefill;        // also the trailing assistant message of request.messages
  int dropped_messages = 0;   // removed by on_overflow = truncate
  // Retrieval (empty when the gateway has no collections):
  std::string strategy;                 // the effective strategy
  std::string search_query;             // what was searched ("" for query_function)
  std::string rewrite_error;            // why a rewrite fell back to plain
  json rewrite_usage_lines = json::array();  // generated_usage lines of the rewrite
  json retrieved = json::array();       // [{collection, docid, ref, score}] injected
  std::shared_ptr<const CollectionSearchTools> search_tools;  // query_function only
};

struct ChatResult {
  json response;          // the chat.completion object, with generation_context
  Completion completion;  // folded answer; content includes the prefill
  RequestRecord record;   // the request log row that was written
};

class Engine {
 public:
  // `shared_searcher`: a server's Searcher whose loaded indexes every request
  // reuses; without one, the Engine opens its own on first need.
  Engine(Database& database, Paths paths, Searcher* shared_searcher = nullptr);
  ~Engine();

  PreparedChat prepare(const ChatInput& input);
  // {method, url, headers, body} of the upstream call, without sending it.
  json describe(const ChatInput& input);
  ChatResult run(const ChatInput& input, const DeltaCallback& on_delta, const CancelToken& cancel);

 private:
  PreparedChat prepare(const ChatInput& input, const CancelToken* rewrite_cancel);
  Searcher& searcher();

  Database& database_;
  Paths paths_;
  Searcher* shared_searcher_;
  std::unique_ptr<Searcher> searcher_;  // opened on first use; keeps indexes loaded
};

}  // namespace weir
