// BatchService — `weir serve`'s background batch worker: runs the jobs of
// the OpenAI Batch API (origin "api") with the same runner as `weir batch
// run` (batch_runner.hpp), one job at a time, oldest first.
//
// The thread starts with the service and sleeps until wake() (a batch was
// created) or a poll interval passes; it also picks up jobs a previous
// server left pending, so a killed `weir serve` resumes its batches when it
// starts again. The destructor cancels the run under way (its items in
// flight go back to pending) and joins the thread. Runner failures are
// written to stderr and the job is tried again after the poll interval.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/cancellation.hpp"
#include "core/provider/provider.hpp"
#include "core/store/paths.hpp"

namespace weir {

class BatchService {
 public:
  explicit BatchService(Paths paths, ProviderFactory providers = {});
  ~BatchService();
  BatchService(const BatchService&) = delete;
  BatchService& operator=(const BatchService&) = delete;

  // A job was created or resumed: look now.
  void wake();

 private:
  void loop();
  // The oldest api job that is ready with pending items ("" when none).
  std::string next_job();

  Paths paths_;
  ProviderFactory providers_;
  CancelToken cancel_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weir
