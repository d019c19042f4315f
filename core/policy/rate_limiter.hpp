// RateLimiter — "at most N requests in any 60 seconds" per API key.
//
// An exact sliding window: each key keeps the times of its requests of the
// last minute (at most N of them, so N is capped by KeyRepository). admit()
// records the request, or throws Error(rate_limited) whose retry_after says
// when the oldest of those requests leaves the window. Thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace weir::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  void admit(const std::string& key_id, const std::string& key_name, int requests_per_minute,
             Clock::time_point now = Clock::now());
  // Takes back the newest admission of this key (a request refused after it
  // was admitted, 403, spent nothing and does not count). No-op when none.
  void refund(const std::string& key_id);

 private:
  std::mutex mutex_;
  std::map<std::string, std::deque<Clock::time_point>> windows_;
};

}  // namespace weir::http
