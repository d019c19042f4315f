#include "core/policy/rate_limiter.hpp"

#include "core/error.hpp"

namespace weir::http {

void RateLimiter::admit(const std::string& key_id, const std::string& key_name, int requests_per_minute,
                        Clock::time_point now) {
  constexpr auto kWindow = std::chrono::seconds(60);
  std::lock_guard lock(mutex_);
  auto& window = windows_[key_id];
  while (!window.empty() && window.front() <= now - kWindow) window.pop_front();
  if (window.size() >= static_cast<size_t>(requests_per_minute)) {
    auto wait = window.front() + kWindow - now;
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait + std::chrono::milliseconds(999)).count();
    Error error(ErrorKind::rate_limited, "key '" + key_name + "' is limited to " + std::to_string(requests_per_minute) +
                                             " requests per minute; retry in " + std::to_string(seconds) + " s");
    error.set_retry_after_seconds(static_cast<int>(std::max<long long>(1, seconds)));
    throw error;
  }
  window.push_back(now);
}

void RateLimiter::refund(const std::string& key_id) {
  std::lock_guard lock(mutex_);
  auto window = windows_.find(key_id);
  if (window != windows_.end() && !window->second.empty()) window->second.pop_back();
}

}  // namespace weir::http
