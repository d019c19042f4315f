// CircuitBreakers — which routing targets are trusted right now.
//
// A target (provider/model) that failed `failures` times in a row is skipped
// (its circuit is open) for `cooldown`; then one request is let through as a
// probe (half-open) while others still skip it. The probe's success closes
// the circuit; its failure opens it for another cooldown. A probe that ends
// without a verdict (the caller cancelled) lets the next request probe.
//
// Whoever is admitted as the probe must report exactly once: succeeded(),
// failed() or abandoned(); until then nobody else tries the target. The
// policy is the caller's gateway's (a gateway with failures 0 neither opens
// circuits nor is kept out by them); the state is the target's.
//
// The state is keyed by target, not by gateway, because it describes the
// upstream; it is shared by every request of the process (weir serve, weir mcp
// serve) through RoutingState. Thread-safe. Each transition is reported to
// the listener, outside the lock.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace weir {

enum class BreakerState { closed, open, half_open };
std::string_view to_string(BreakerState state) noexcept;

struct BreakerPolicy {
  int failures = 5;  // in a row; 0: never open
  std::chrono::milliseconds cooldown{30'000};
};

struct BreakerTransition {
  std::string target;
  BreakerState from = BreakerState::closed;
  BreakerState to = BreakerState::closed;
  int consecutive_failures = 0;
  std::string reason;  // the failure that opened it, or what closed it
};

class CircuitBreakers {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit CircuitBreakers(Clock clock = {});

  struct Admission {
    bool admitted = true;
    bool probe = false;                  // this request decides whether the target is trusted again
    std::chrono::milliseconds retry_in{0};  // when skipped: until the next probe may go
  };
  Admission admit(const std::string& target, const BreakerPolicy& policy);
  void succeeded(const std::string& target);
  void failed(const std::string& target, const BreakerPolicy& policy, const std::string& reason);
  // A probe ended without a verdict.
  void abandoned(const std::string& target);

  BreakerState state(const std::string& target) const;
  void set_listener(std::function<void(const BreakerTransition&)> listener);

 private:
  struct Entry {
    BreakerState state = BreakerState::closed;
    int consecutive_failures = 0;
    std::chrono::steady_clock::time_point opened_at;
    bool probe_in_flight = false;
  };
  std::chrono::steady_clock::time_point now() const;
  void notify(const BreakerTransition& transition);

  Clock clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::function<void(const BreakerTransition&)> listener_;  // read under mutex_, called outside it
};

}  // namespace weir
