// Batch settings and item states — what a batch job is asked to do, and the
// states its items move through (AIVAX's names).
//
// A job sends every item, one request each, through the engine against one
// gateway, with the job's instructions as a system message and its JSON
// Schema as the structured output the answer must match (healed like any
// structured answer: core/engine/structured_attempts.hpp). An optional second
// pass asks another model whether the answer is right and how confident it
// is (validate_with). check() refuses settings that cannot run, naming the
// field; settings are stored as to_json() and read back with from_json().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace weir {

inline constexpr int kMostBatchConcurrency = 256;
inline constexpr int kMostBatchRetries = 9;
inline constexpr double kDefaultLowConfidence = 0.5;

struct BatchSettings {
  std::string gateway;                  // a gateway target (id, slug, name) or @provider/model
  std::string instructions;             // system text for every item ("" for none)
  nlohmann::json schema = nullptr;      // the answer's JSON Schema (null: any JSON object)
  std::string validate_with;            // PROVIDER/MODEL of the validation pass ("" for none)
  std::string validation_instructions;  // what the validator checks
  int max_retries = 2;                  // more tries after an upstream error, and more healing attempts
  int error_stop = 5;                   // pause after this many failures in a row (0: never)
  int concurrency = 4;                  // items in flight at once
  // The OpenAI Batch API's jobs (core/batch/openai_batch.hpp): each item is
  // a chat-completions request body, sent as it is (its "model" is the
  // target; no instructions or schema are added), and its output is the
  // chat.completion (or, failed, {status_code, body: {error}}).
  bool openai_requests = false;
  std::string input_file_id;                     // openai_requests: the uploaded file
  nlohmann::json metadata = nullptr;             // openai_requests: the batch's metadata
  int64_t completion_window_seconds = 24 * 3600;  // openai_requests: as asked ("24h")
  // openai_requests: the id of the API key that created the batch ("" for
  // none): its items are that key's requests, under its limits and budget.
  std::string caller_key;

  nlohmann::json to_json() const;
  // Throws Error(usage) for a malformed stored object.
  static BatchSettings from_json(const nlohmann::json& object);
  // Throws Error(usage) naming the first bad field and what is allowed.
  void check() const;
};

enum class ItemState { pending, finished, refused, execution_error, validation_error, cancelled };

std::string_view item_state_name(ItemState state) noexcept;
// nullopt for an unknown name.
std::optional<ItemState> parse_item_state(std::string_view name) noexcept;

// Which items `weir batch retry` puts back to pending.
enum class RetryMode { errors, execution_error, validation_error, low_confidence };
// Throws Error(usage) listing the modes.
RetryMode parse_retry_mode(std::string_view name);

}  // namespace weir
