// Batch runner — works through a batch job's pending items with a small pool
// of threads, each item one engine request (batch_item_call.hpp).
//
// run_batch() takes the job over (BatchRepository::begin_run: items a killed
// run held are pending again), starts `concurrency` workers (fewer when the
// job's gateway or calling API key allows fewer concurrent_requests), each with its
// own store connection and Engine, and returns when no pending item is left,
// the job was paused (by `weir batch pause` in another process, or here by
// error_stop), another run took the job over, or `cancel` was cancelled
// (items in flight are given back as pending). Every result is written as it
// arrives (claim, then result and cost in one transaction), so a kill loses
// at most the items in flight and the next run does not redo or re-charge
// finished ones. An attempt that does not end its item (retried, rate
// limited, interrupted) is charged to the item and the job when it is given
// back: the cost of an item is everything its attempts consumed.
//
// Backs off when the upstream or a gateway limit answers 429: every worker
// waits out the Retry-After (else 1 s, doubling to 30 s) and the item is
// tried again without counting the attempt. A spent budget's Retry-After may
// be hours: while waiting, the job's state is read every second, and a job
// paused or cancelled meanwhile ends the run. error_stop: after that many
// failed items in a row (execution or validation errors; refusals are
// answers), the job is paused with the reason, which `status` shows.
//
// on_progress is called after each item is recorded and once at the end, on
// a worker thread or the calling thread, never two at once. Throws
// Error(not_found) for an unknown job, Error(usage) for a paused or
// cancelled one, and store errors (Error(runtime)) once the workers stopped.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/provider/provider.hpp"
#include "core/store/batch_repository.hpp"
#include "core/store/paths.hpp"

namespace weir {

struct BatchProgress {
  BatchCounts counts;
  double cost = 0;                     // the job's, USD
  double rate = 0;                     // items recorded per second in this run
  std::optional<double> eta_seconds;   // at that rate (none before the first item)
  bool done = false;                   // the last call of the run
  std::string stopped;                 // done: "completed", "paused", "interrupted" or "taken_over"
  std::string reason;                  // done and paused: why
  // {finished, failed, pending, in_flight, total, cost, rate, eta_seconds, done, stopped?, reason?}
  nlohmann::json to_json() const;
};

struct BatchRunOptions {
  ProviderFactory providers;  // empty: the real adapters
  CancelToken cancel;
  std::function<void(const BatchProgress&)> on_progress;
  std::string front_door = "batch";  // in each request's log row
};

// The final progress (done = true).
BatchProgress run_batch(const Paths& paths, const std::string& job, const BatchRunOptions& options);

}  // namespace weir
