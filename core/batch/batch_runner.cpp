#include "core/batch/batch_runner.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/batch/batch_item_call.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/request_limits.hpp"
#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/request_log_writer.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kFirstBackoff = std::chrono::seconds(1);
constexpr auto kLongestBackoff = std::chrono::seconds(30);
constexpr auto kCancelPoll = std::chrono::milliseconds(100);
constexpr auto kStateLook = std::chrono::seconds(1);

// What the workers share.
class RunState {
 public:
  RunState(const BatchCounts& counts, double cost, const BatchRunOptions& options)
      : counts_(counts), cost_(cost), options_(options), start_(Clock::now()) {}

  bool stopping() const {
    std::lock_guard lock(mutex_);
    return stop_ || options_.cancel.cancelled();
  }
  void stop() {
    std::lock_guard lock(mutex_);
    stop_ = true;
    changed_.notify_all();
  }
  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = error;
    stop_ = true;
    changed_.notify_all();
  }
  std::exception_ptr error() const {
    std::lock_guard lock(mutex_);
    return error_;
  }

  enum class Turn { go, stop, look };
  // Waits until no backoff is in force (go) or the run is stopping (stop);
  // look when `look_at` came first: a long backoff lets the caller check
  // that the job was not paused or cancelled meanwhile.
  Turn wait_for_turn(Clock::time_point look_at) {
    std::unique_lock lock(mutex_);
    while (!stop_ && !options_.cancel.cancelled() && Clock::now() < not_before_) {
      if (Clock::now() >= look_at) return Turn::look;
      changed_.wait_until(lock, std::min({not_before_, look_at, Clock::now() + kCancelPoll}));
    }
    return stop_ || options_.cancel.cancelled() ? Turn::stop : Turn::go;
  }
  void back_off(int retry_after_seconds) {
    std::lock_guard lock(mutex_);
    auto wait = retry_after_seconds > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(retry_after_seconds))
                                        : std::chrono::duration_cast<Clock::duration>(backoff_);
    backoff_ = std::min<Clock::duration>(backoff_ * 2, kLongestBackoff);
    not_before_ = std::max(not_before_, Clock::now() + wait);
  }

  // Counts a recorded item; true when error_stop has been reached by it.
  bool recorded(const ItemResult& result, int error_stop) {
    std::lock_guard lock(mutex_);
    --counts_.pending;
    ++recorded_;
    cost_ += result.cost;
    backoff_ = kFirstBackoff;
    bool failure = result.state == ItemState::execution_error || result.state == ItemState::validation_error;
    switch (result.state) {
      case ItemState::finished: ++counts_.finished; break;
      case ItemState::refused: ++counts_.refused; break;
      case ItemState::execution_error: ++counts_.execution_error; break;
      case ItemState::validation_error: ++counts_.validation_error; break;
      case ItemState::cancelled: ++counts_.cancelled; break;
      case ItemState::pending: ++counts_.pending; break;
    }
    failures_in_a_row_ = failure ? failures_in_a_row_ + 1 : 0;
    if (options_.on_progress) options_.on_progress(progress_locked());
    return failure && error_stop > 0 && failures_in_a_row_ >= error_stop;
  }

  // Adds the cost of an attempt that did not end its item.
  void charged(double cost) {
    std::lock_guard lock(mutex_);
    cost_ += cost;
  }

  int failures_in_a_row() const {
    std::lock_guard lock(mutex_);
    return failures_in_a_row_;
  }

 private:
  BatchProgress progress_locked() const {
    BatchProgress progress;
    progress.counts = counts_;
    progress.cost = cost_;
    double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    if (seconds > 0 && recorded_ > 0) {
      progress.rate = static_cast<double>(recorded_) / seconds;
      progress.eta_seconds = static_cast<double>(counts_.pending) / progress.rate;
    }
    return progress;
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  BatchCounts counts_;
  double cost_;
  const BatchRunOptions& options_;
  Clock::time_point start_;
  int64_t recorded_ = 0;
  int failures_in_a_row_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  Clock::time_point not_before_ = Clock::time_point::min();
  Clock::duration backoff_ = kFirstBackoff;
};

// Items in flight: the job's concurrency, and never more than the gateway's
// and the calling key's concurrent_requests allow, since the ledger would
// refuse the rest with 429 each time they tried.
int worker_count(Database& database, const BatchJob& job) {
  long long count = job.settings.concurrency;
  Gateway gateway;
  if (!job.settings.openai_requests) {
    try {
      gateway = GatewayRepository(database).resolve_target(job.settings.gateway);
    } catch (const Error&) {
      // Each item will fail with the reason; the count does not matter.
    }
  }
  Caller caller;
  try {
    caller = batch_caller(database, job.settings);
  } catch (const Error&) {
    // A revoked key: each item fails with the reason.
  }
  for (const auto& scope : limit_scopes(gateway, caller))
    if (scope.limits.concurrent_requests) count = std::min(count, *scope.limits.concurrent_requests);
  return static_cast<int>(std::max(count, 1LL));
}

void work(const Paths& paths, const BatchJob& job, const std::string& token, const BatchRunOptions& options,
          RequestLogWriter& log_writer, RunState& state) {
  Database database(paths.database);
  EngineOptions engine_options;
  engine_options.providers = options.providers;
  engine_options.log_writer = &log_writer;
  Engine engine(database, paths, engine_options);
  BatchRepository items(database);
  auto look_at = Clock::now() + kStateLook;
  while (true) {
    auto turn = state.wait_for_turn(look_at);
    if (turn == RunState::Turn::stop) return;
    if (turn == RunState::Turn::look) {
      // Paused or cancelled from elsewhere (`weir batch pause`, the Batch
      // API's cancel) while this run waited out a limit: stop now.
      if (items.get(job.id).state != "ready") {
        state.stop();
        return;
      }
      look_at = Clock::now() + kStateLook;
      continue;
    }
    auto item = items.claim(job.id, token);
    if (!item) return;
    auto outcome = run_batch_item(engine, database, job.settings, item->input, item->attempts, options.cancel,
                                  options.front_door, json{{"batch", job.name}, {"batch_item", item->id}});
    switch (outcome.kind) {
      case ItemOutcome::Kind::final:
        if (items.finish(job.id, item->id, token, outcome.result) && state.recorded(outcome.result, job.settings.error_stop)) {
          items.set_state(job.id, "paused",
                          "paused after " + std::to_string(job.settings.error_stop) +
                              " failed items in a row; the last (item " + std::to_string(item->id) + ", " +
                              std::string(item_state_name(outcome.result.state)) + "): " + outcome.result.error);
          state.stop();
        }
        break;
      // An attempt that does not end the item still cost what it consumed.
      case ItemOutcome::Kind::retry:
        if (items.release(job.id, item->id, token, outcome.error, true, outcome.result.cost))
          state.charged(outcome.result.cost);
        break;
      case ItemOutcome::Kind::rate_limited:
        if (items.release(job.id, item->id, token, outcome.error, false, outcome.result.cost))
          state.charged(outcome.result.cost);
        state.back_off(outcome.retry_after_seconds);
        break;
      case ItemOutcome::Kind::interrupted:
        items.release(job.id, item->id, token, outcome.error, false, outcome.result.cost);
        return;
    }
  }
}

}  // namespace

json BatchProgress::to_json() const {
  json object = {{"finished", counts.finished},
                 {"failed", counts.failed()},
                 {"refused", counts.refused},
                 {"execution_error", counts.execution_error},
                 {"validation_error", counts.validation_error},
                 {"pending", counts.pending},
                 {"total", counts.total()},
                 {"cost", cost},
                 {"rate", rate},
                 {"eta_seconds", eta_seconds ? json(*eta_seconds) : json(nullptr)},
                 {"done", done}};
  if (done) {
    object["stopped"] = stopped;
    if (!reason.empty()) object["reason"] = reason;
  }
  return object;
}

BatchProgress run_batch(const Paths& paths, const std::string& job_name, const BatchRunOptions& options) {
  Database database(paths.database);
  BatchRepository jobs(database);
  BatchJob job = jobs.get(job_name);
  std::string token = jobs.begin_run(job.id);
  RunState state(jobs.counts(job.id), job.cost, options);

  const int count = worker_count(database, job);
  // The items' request log rows are written together, behind the answers:
  // a write transaction each was a third of the store's lock time when many
  // items finish at once. Flushed before this returns.
  DatabasePool log_pool(paths);
  RequestLogWriter log_writer(log_pool);
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(count));
  for (int index = 0; index < count; ++index)
    workers.emplace_back([&] {
      try {
        work(paths, job, token, options, log_writer, state);
      } catch (...) {
        state.fail(std::current_exception());
      }
    });
  for (auto& worker : workers) worker.join();
  if (auto error = state.error()) std::rethrow_exception(error);

  BatchJob after = jobs.get(job.id);
  BatchProgress progress;
  progress.counts = jobs.counts(job.id);
  progress.cost = after.cost;
  progress.done = true;
  if (options.cancel.cancelled()) {
    progress.stopped = "interrupted";
  } else if (after.state == "paused") {
    progress.stopped = "paused";
    progress.reason = after.reason;
  } else if (after.state == "cancelled") {
    progress.stopped = "cancelled";
  } else if (progress.counts.pending == 0) {
    progress.stopped = "completed";
  } else {
    progress.stopped = "taken_over";
  }
  if (options.on_progress) options.on_progress(progress);
  return progress;
}

}  // namespace weir
