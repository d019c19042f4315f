#include "core/routing/circuit_breakers.hpp"

#include <optional>

namespace weir {

std::string_view to_string(BreakerState state) noexcept {
  switch (state) {
    case BreakerState::closed: return "closed";
    case BreakerState::open: return "open";
    case BreakerState::half_open: return "half_open";
  }
  return "closed";
}

CircuitBreakers::CircuitBreakers(Clock clock) : clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point CircuitBreakers::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

void CircuitBreakers::set_listener(std::function<void(const BreakerTransition&)> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void CircuitBreakers::notify(const BreakerTransition& transition) {
  std::function<void(const BreakerTransition&)> listener;
  {
    std::lock_guard lock(mutex_);
    listener = listener_;
  }
  if (listener) listener(transition);
}

CircuitBreakers::Admission CircuitBreakers::admit(const std::string& target, const BreakerPolicy& policy) {
  std::optional<BreakerTransition> transition;
  Admission admission;
  if (policy.failures <= 0) return admission;  // this gateway does not break circuits
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(target);
    if (found == entries_.end() || found->second.state == BreakerState::closed) return admission;
    Entry& entry = found->second;
    auto waited = now() - entry.opened_at;
    if (entry.state == BreakerState::open && waited >= policy.cooldown) {
      transition = BreakerTransition{target, BreakerState::open, BreakerState::half_open, entry.consecutive_failures,
                                     "cooldown over; one request probes it"};
      entry.state = BreakerState::half_open;
    }
    if (entry.state == BreakerState::half_open && !entry.probe_in_flight) {
      entry.probe_in_flight = true;
      admission.probe = true;
    } else {
      admission.admitted = false;
      // While a probe is out the wait is unknown; a second is a fair guess.
      admission.retry_in = std::max(std::chrono::milliseconds(1000),
                                    std::chrono::ceil<std::chrono::milliseconds>(policy.cooldown - waited));
    }
  }
  if (transition) notify(*transition);
  return admission;
}

void CircuitBreakers::succeeded(const std::string& target) {
  std::optional<BreakerTransition> transition;
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(target);
    if (found == entries_.end()) return;
    if (found->second.state != BreakerState::closed)
      transition = BreakerTransition{target, found->second.state, BreakerState::closed, 0, "a request succeeded"};
    entries_.erase(found);  // a healthy target needs no entry
  }
  if (transition) notify(*transition);
}

void CircuitBreakers::failed(const std::string& target, const BreakerPolicy& policy, const std::string& reason) {
  std::optional<BreakerTransition> transition;
  {
    std::lock_guard lock(mutex_);
    if (policy.failures <= 0) {  // no verdict from a gateway that does not break circuits
      if (auto found = entries_.find(target); found != entries_.end()) found->second.probe_in_flight = false;
      return;
    }
    Entry& entry = entries_[target];
    ++entry.consecutive_failures;
    const bool reopen = entry.state == BreakerState::half_open;
    const bool trip = entry.state == BreakerState::closed && entry.consecutive_failures >= policy.failures;
    if (reopen || trip) {
      transition = BreakerTransition{target, entry.state, BreakerState::open, entry.consecutive_failures, reason};
      entry.state = BreakerState::open;
      entry.opened_at = now();
      entry.probe_in_flight = false;
    }
  }
  if (transition) notify(*transition);
}

void CircuitBreakers::abandoned(const std::string& target) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(target);
  if (found != entries_.end()) found->second.probe_in_flight = false;
}

BreakerState CircuitBreakers::state(const std::string& target) const {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(target);
  return found == entries_.end() ? BreakerState::closed : found->second.state;
}

}  // namespace weir
