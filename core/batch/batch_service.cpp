#include "core/batch/batch_service.hpp"

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

void BatchService::cancel(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  if (auto found = runs_.find(job_id); found != runs_.end()) found->second->cancel.cancel();
}

std::vector<std::string> BatchService::ready_jobs() {
  Database database(paths_.database);
  BatchRepository jobs(database);
  auto all = jobs.list("api");
  std::vector<std::string> ready;
  for (auto job = all.rbegin(); job != all.rend(); ++job)  // oldest first
    if (job->state == "ready" && jobs.counts(job->id).pending > 0) ready.push_back(job->id);
  return ready;
}

void BatchService::reap_locked() {
  for (auto entry = runs_.begin(); entry != runs_.end();) {
    if (!entry->second->finished) {
      ++entry;
      continue;
    }
    entry->second->thread.join();  // it only returns from run() now
    entry = runs_.erase(entry);
  }
}

void BatchService::run(const std::string& job_id, Run& state) {
  bool again_later = false;
  try {
    BatchRunOptions options;
    options.providers = providers_;
    options.cancel = state.cancel;
    again_later = run_batch(paths_, job_id, options).stopped == "taken_over";
  } catch (const std::exception& error) {  // a thread must not throw: the job is tried again later
    std::cerr << "weir serve: batch " << job_id << ": " << error.what() << '\n';
    again_later = true;
  }
  {
    std::lock_guard lock(mutex_);
    if (again_later) not_before_[job_id] = Clock::now() + kPoll;
    state.finished = true;
    woken_ = true;  // another job may be waiting for the room
  }
  changed_.notify_all();
}

void BatchService::loop() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      woken_ = false;
      reap_locked();
    }
    std::vector<std::string> ready;
    try {
      ready = ready_jobs();
    } catch (const Error& error) {
      std::cerr << "weir serve: batch: " << error.what() << '\n';
    }
    std::unique_lock lock(mutex_);
    auto now = Clock::now();
    for (const auto& job_id : ready) {
      if (stopping_ || runs_.size() >= kMostRunningBatches) break;
      if (runs_.count(job_id) != 0) continue;
      if (auto wait = not_before_.find(job_id); wait != not_before_.end()) {
        if (now < wait->second) continue;
        not_before_.erase(wait);
      }
      auto& slot = runs_[job_id];
      slot = std::make_unique<Run>();
      slot->cancel = cancel_.linked();
      Run* started = slot.get();
      slot->thread = std::thread([this, job_id, started] { run(job_id, *started); });
    }
    changed_.wait_for(lock, kPoll, [this] { return stopping_ || woken_; });
  }
  // Stopping: every run is cancelled (cancel_ is linked to each) and joined.
  std::map<std::string, std::unique_ptr<Run>> runs;
  {
    std::lock_guard lock(mutex_);
    runs.swap(runs_);
  }
  for (auto& entry : runs) entry.second->thread.join();
}

}  // namespace weir
