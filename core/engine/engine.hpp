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
// prepare() stops before the upstream call, for `chat --dry-run`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/engine/prices.hpp"
#include "core/provider/provider.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/paths.hpp"
#include "core/store/request_log.hpp"

namespace weir {

class Database;

struct ChatInput {
  std::string target;                     // gateway id, slug, name, or @provider/model
  json messages = json::array();          // the conversation, ending with the new user message
  json overrides = json::object();        // request fields; only what the gateway allows
  bool stream = true;                     // stream from the upstream
  std::string front_door = "chat";        // recorded in the request log
  json metadata = nullptr;                // recorded in the request log
};

struct PreparedChat {
  Gateway gateway;
  ProviderConfig provider;
  ChatRequest request;        // exactly what goes upstream
  std::string prefill;        // also the trailing assistant message of request.messages
  int dropped_messages = 0;   // removed by on_overflow = truncate
};

struct ChatResult {
  json response;          // the chat.completion object, with generation_context
  Completion completion;  // folded answer; content includes the prefill
  RequestRecord record;   // the request log row that was written
};

class Engine {
 public:
  Engine(Database& database, Paths paths);

  PreparedChat prepare(const ChatInput& input);
  // {method, url, headers, body} of the upstream call, without sending it.
  json describe(const ChatInput& input);
  ChatResult run(const ChatInput& input, const DeltaCallback& on_delta, const CancelToken& cancel);

 private:
  Database& database_;
  Paths paths_;
};

}  // namespace weir
