// RoutingState — what routing keeps across the requests of one process, and
// the time, waits and chance it uses.
//
// The circuit breakers live here so that every request of `weir serve` or
// `weir mcp serve` sees the same target health (process_wide()); a CLI
// command is one process, so it starts fresh. The clock, the wait between
// tries and the random draws of load balancing are here too, so a test can
// pin them (a fake clock that the breakers and deadlines read, waits that
// are recorded instead of slept, a seeded generator). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>

#include "core/cancellation.hpp"
#include "core/routing/circuit_breakers.hpp"

namespace weir {

class RoutingState {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Waits, or throws Error(interrupted) when cancel fires first.
  using Wait = std::function<void(std::chrono::milliseconds, const CancelToken&)>;

  // The real clock, real waits, a random seed.
  RoutingState();
  RoutingState(Clock clock, Wait wait, uint64_t seed);

  // The one shared by every request of this process.
  static const std::shared_ptr<RoutingState>& process_wide();

  CircuitBreakers& breakers() { return breakers_; }
  std::chrono::steady_clock::time_point now() const;
  void wait(std::chrono::milliseconds duration, const CancelToken& cancel) const;
  // Uniform in [0, 1).
  double draw();

 private:
  Clock clock_;
  Wait wait_;
  CircuitBreakers breakers_;
  std::mutex random_mutex_;
  std::mt19937_64 random_;
};

}  // namespace weir
