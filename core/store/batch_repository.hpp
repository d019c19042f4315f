// BatchRepository — the batch_jobs and batch_items tables: batch jobs, their
// items, and the claims that make a job survive kill -9 (migration 13).
//
// A job is run by one runner at a time. begin_run() hands out a new run
// token, which takes the job over: claims of an earlier runner (a killed
// process) no longer hold, so their items are pending again. A runner
// claim()s an item (its attempts go up by one), calls the model, and then
// finish()es it: the result, the item's cost and the job's total cost are
// written in one transaction, and only while the claim still holds. So an
// item is recorded and charged at most once, whatever was killed when; an
// item in flight at a kill may be sent again by the next run.
//
// Contract: every method is one statement or one transaction on the caller's
// connection (one thread). Names are validated (Error(usage)); a missing job
// is Error(not_found); creating a name that exists is Error(usage).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/batch/batch_settings.hpp"

namespace weir {

class Database;

struct BatchJob {
  std::string id;        // "batch_" + a UUIDv7's hex
  std::string name;
  BatchSettings settings;
  std::string state;     // "ready", "paused" or "cancelled"
  std::string reason;    // why it was paused ("" when not)
  double cost = 0;       // USD: the sum of its items' costs
  std::string origin;    // "cli", or "api" for the OpenAI Batch API
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct BatchCounts {
  int64_t pending = 0;  // including in flight
  int64_t in_flight = 0;
  int64_t finished = 0;
  int64_t refused = 0;
  int64_t execution_error = 0;
  int64_t validation_error = 0;
  int64_t cancelled = 0;
  int64_t total() const { return pending + finished + refused + execution_error + validation_error + cancelled; }
  int64_t failed() const { return refused + execution_error + validation_error; }
  nlohmann::json to_json() const;
};

// One item to add: where it came from ("tickets.jsonl:12", a file path) and
// what the model is given (a JSON string is sent as text, anything else as its JSON).
struct BatchInput {
  std::string source;
  nlohmann::json input;
};

struct BatchItem {
  int64_t id = 0;
  std::string source;
  nlohmann::json input;
  ItemState state = ItemState::pending;
  int attempts = 0;
  nlohmann::json output = nullptr;  // the validated answer (null until finished)
  std::optional<double> confidence;  // from the validation pass
  double cost = 0;
  std::string error;
  // {id, source, input, state, output, attempts, confidence, cost, error}: an export line.
  nlohmann::json to_json() const;
};

// What finish() records.
struct ItemResult {
  ItemState state = ItemState::finished;
  nlohmann::json output = nullptr;
  std::optional<double> confidence;
  double cost = 0;
  std::string error;
};

class BatchRepository {
 public:
  explicit BatchRepository(Database& database) : database_(database) {}

  BatchJob create(const std::string& name, const BatchSettings& settings, const std::string& origin = "cli");
  // By name or id.
  BatchJob get(const std::string& name_or_id);
  // Newest first; origin "" lists every job.
  std::vector<BatchJob> list(const std::string& origin = "");
  void remove(const std::string& name_or_id);

  // In one transaction; returns how many were added.
  int64_t add_items(const std::string& job_id, const std::vector<BatchInput>& inputs);
  BatchCounts counts(const std::string& job_id);

  // "ready" (clearing the reason), "paused" with a reason, or "cancelled"
  // (every pending item becomes cancelled).
  void set_state(const std::string& job_id, const std::string& state, const std::string& reason = "");

  // Takes the job over for a new runner and returns its token. Error(usage)
  // when the job is paused (naming the reason) or cancelled.
  std::string begin_run(const std::string& job_id);
  // The next pending item no one holds, now held by `token`; nullopt when
  // there is none, or the job is no longer ready, or another runner took it over.
  std::optional<BatchItem> claim(const std::string& job_id, const std::string& token);
  // Records the result and adds its cost to the job's; false (nothing
  // written) when the claim no longer holds.
  bool finish(const std::string& job_id, int64_t item_id, const std::string& token, const ItemResult& result);
  // Gives the item back as pending for another try, keeping `error` as its
  // last error; `count_attempt` false takes back the attempt its claim counted
  // (the upstream asked us to slow down: not the item's fault). `cost` (what
  // the attempt consumed all the same) is added to the item's and the job's,
  // in the same transaction; false (nothing written) when the claim no longer holds.
  bool release(const std::string& job_id, int64_t item_id, const std::string& token, const std::string& error,
               bool count_attempt, double cost = 0);

  // Puts the items `mode` selects back to pending (attempts and error kept,
  // output and confidence cleared); returns how many. low_confidence takes
  // finished items whose confidence is below `below`.
  int64_t retry(const std::string& job_id, RetryMode mode, double below = kDefaultLowConfidence);

  // Each item in id order whose state is in `states` (empty: every state).
  void for_each_item(const std::string& job_id, const std::vector<ItemState>& states,
                     const std::function<void(const BatchItem&)>& visit);

 private:
  Database& database_;
};

}  // namespace weir
