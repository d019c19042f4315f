// OneShotEvent — something that happens once, for one thread to await
// another's doing it (a tool call has started, a cancellation arrived).
//
// set() may be called from any thread, any number of times; wait() returns
// true as soon as it has been set, false if `timeout` passed first. Use it
// where a test would otherwise sleep "long enough" for the other thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace weir::testing {

class OneShotEvent {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      happened_ = true;
    }
    changed_.notify_all();
  }

  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return happened_; });
  }

  bool is_set() {
    std::lock_guard lock(mutex_);
    return happened_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool happened_ = false;
};

}  // namespace weir::testing
