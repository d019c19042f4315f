#include "core/batch/batch_service.hpp"

#include <chrono>
#include <iostream>

#include "core/batch/batch_runner.hpp"
#include "core/error.hpp"
#include "core/store/batch_repository.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
constexpr auto kPoll = std::chrono::seconds(5);
}

BatchService::BatchService(Paths paths, ProviderFactory providers)
    : paths_(std::move(paths)), providers_(std::move(providers)), thread_([this] { loop(); }) {}

BatchService::~BatchService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cancel_.cancel();
  changed_.notify_all();
  thread_.join();
}

void BatchService::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  changed_.notify_all();
}

std::string BatchService::next_job() {
  Database database(paths_.database);
  BatchRepository jobs(database);
  auto all = jobs.list("api");
  for (auto job = all.rbegin(); job != all.rend(); ++job)  // oldest first
    if (job->state == "ready" && jobs.counts(job->id).pending > 0) return job->id;
  return {};
}

void BatchService::loop() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      woken_ = false;
    }
    bool failed = false;
    try {
      std::string job = next_job();
      if (!job.empty()) {
        BatchRunOptions options;
        options.providers = providers_;
        options.cancel = cancel_;
        run_batch(paths_, job, options);
        continue;  // another may be waiting
      }
    } catch (const Error& error) {
      std::cerr << "weir serve: batch: " << error.what() << '\n';
      failed = true;
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, kPoll, [this, failed] { return stopping_ || (woken_ && !failed); });
  }
}

}  // namespace weir
