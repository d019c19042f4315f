#include "core/routing/routing_state.hpp"

#include "core/provider/upstream_call.hpp"

namespace weir {

RoutingState::RoutingState() : RoutingState({}, {}, std::random_device{}()) {}

RoutingState::RoutingState(Clock clock, Wait wait, uint64_t seed)
    : clock_(std::move(clock)), wait_(std::move(wait)), breakers_(clock_), random_(seed) {}

const std::shared_ptr<RoutingState>& RoutingState::process_wide() {
  static const auto state = std::make_shared<RoutingState>();
  return state;
}

std::chrono::steady_clock::time_point RoutingState::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

void RoutingState::wait(std::chrono::milliseconds duration, const CancelToken& cancel) const {
  if (wait_)
    wait_(duration, cancel);
  else
    sleep_cancellable(duration, cancel);
}

double RoutingState::draw() {
  std::lock_guard lock(random_mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

}  // namespace weir
