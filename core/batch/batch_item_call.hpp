// Batch item call — one batch item sent through the engine, and what became
// of it.
//
// run_batch_item() builds the request a `weir chat` against the job's gateway
// would make: the job's instructions as a system message, the item's input as
// the user message (a JSON string as its text, any other value as its JSON),
// and the job's schema as the structured output (response_format json_schema,
// healed up to max_retries + 1 attempts by the engine; a JSON object when the
// job has no schema). With validate_with, a second request asks that model
// whether the answer is right: {valid, confidence, reason}.
//
// The outcome says what the runner does with the item:
// - finished (the validated answer, the validator's confidence), refused
//   (the model refused: Error code model_refused), validation_error (healing
//   failed, or the validator said the answer is wrong), execution_error (an
//   upstream failure on the last allowed attempt, or a request that can never
//   work: usage, not found, authentication) — final, with the cost of every
//   request the item made (the request log's rows for failed requests);
// - retry: an upstream failure with attempts left (the item goes back to pending);
// - rate_limited: the upstream or a limit said 429 (the item goes back, the
//   attempt not counted, and the runner backs off retry_after_seconds);
// - interrupted: the run was cancelled mid-item (the item goes back).
// Every outcome carries in result.cost what this attempt consumed, so the
// runner charges a retried or rate-limited attempt too.
// With settings.openai_requests the input is a chat-completions request body
// sent as it is, as the API key that created the batch (batch_caller): its
// limits and budget count the item, as they would the same POST to
// /v1/chat/completions; the output is {status_code, body} with the
// chat.completion or the OpenAI error object of a failed item.
// Never throws a weir::Error: every failure is an outcome.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/batch/batch_settings.hpp"
#include "core/cancellation.hpp"
#include "core/policy/caller_policy.hpp"
#include "core/store/batch_repository.hpp"

namespace weir {

class Database;
class Engine;

struct ItemOutcome {
  enum class Kind { final, retry, rate_limited, interrupted };
  Kind kind = Kind::final;
  ItemResult result;            // final: what to record
  std::string error;            // retry, rate_limited, interrupted: why
  int retry_after_seconds = 0;  // rate_limited: the upstream's hint (0: none)
};

// Who a job's items are sent as: the local user, or for an OpenAI Batch API
// job the API key that created it, with the key's limits as they are now.
// Error(authentication) once that key has been revoked.
Caller batch_caller(Database& database, const BatchSettings& settings);

// `attempt`: 1-based, counting this one. `database` is the engine's (the
// failed requests' costs are read from its request log). `front_door` and
// `metadata` are recorded in each request's log row.
ItemOutcome run_batch_item(Engine& engine, Database& database, const BatchSettings& settings,
                           const nlohmann::json& input, int attempt, const CancelToken& cancel,
                           const std::string& front_door, const nlohmann::json& metadata);

}  // namespace weir
