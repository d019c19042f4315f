// BatchService — `weir serve`'s background batch worker: runs the jobs of
// the OpenAI Batch API (origin "api") with the same runner as `weir batch
// run` (batch_runner.hpp).
//
// Each ready job with pending items gets a run of its own (on its own
// thread, up to kMostRunningBatches at once, oldest jobs first), so a job
// that waits out a rate limit or a spent budget never holds the others back.
// The service looks for jobs when woken (a batch was created) and every poll
// interval; it also picks up jobs a previous server left pending, so a killed
// `weir serve` resumes its batches when it starts again. cancel() stops one
// job's run at once: its waits end and its requests in flight are cancelled
// (the items go back, and are cancelled with the job). A run that failed
// (written to stderr) or was taken over by another process is tried again
// after the poll interval. The destructor cancels every run and joins them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/cancellation.hpp"
#include "core/provider/provider.hpp"
#include "core/store/paths.hpp"

namespace weir {

inline constexpr size_t kMostRunningBatches = 16;

class BatchService {
 public:
  explicit BatchService(Paths paths, ProviderFactory providers = {});
  ~BatchService();
  BatchService(const BatchService&) = delete;
  BatchService& operator=(const BatchService&) = delete;

  // A job was created or resumed: look now.
  void wake();
  // Stops the run of job `job_id` if one is under way (call it after the
  // job's state changed, so the run is not started again); any thread.
  void cancel(const std::string& job_id);

 private:
  struct Run {
    CancelToken cancel;
    std::thread thread;
    bool finished = false;
  };
  using Clock = std::chrono::steady_clock;

  void loop();
  // The api jobs that are ready with pending items, oldest first.
  std::vector<std::string> ready_jobs();
  // Under mutex_: joins the finished runs.
  void reap_locked();
  void run(const std::string& job_id, Run& state);

  Paths paths_;
  ProviderFactory providers_;
  CancelToken cancel_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool woken_ = false;
  bool stopping_ = false;
  std::map<std::string, std::unique_ptr<Run>> runs_;
  std::map<std::string, Clock::time_point> not_before_;  // a job whose run failed or was taken over
  std::thread thread_;
};

}  // namespace weir
