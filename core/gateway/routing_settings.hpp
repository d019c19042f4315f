// RoutingSettings — the typed `routing` block of a gateway (DESIGN.md
// "Gateway configuration"; core/routing/ acts on it).
//
// A gateway with a routing block has several upstreams instead of one
// provider and model: `targets` in order, and how a request picks among them
// (`mode`), how often one target is tried and on which failures
// (`attempts`, `retry_on`, `backoff_ms`, `max_retry_after_ms`), which
// failures move on to the next target (`fall_through`), the time one try and
// the whole call may take, and when a failing target is skipped for a while
// (the circuit breaker). GatewayConfig::routing() fills in every default from
// the schema table, so the values here are always the effective ones.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/gateway/config_schema.hpp"

namespace weir {

struct RouteTarget {
  std::string provider;
  std::string model;
  double weight = 1;
  std::optional<ComplexityTier> tier;
  // Sampling this target uses instead of the gateway's (temperature, top_p,
  // max_tokens, reasoning_effort), as OpenAI body fields.
  json sampling = json::object();
  // "provider/model": how attempts, breakers and logs name the target.
  std::string label() const { return provider + "/" + model; }
};

struct RoutingSettings {
  std::vector<RouteTarget> targets;  // at least one
  RoutingMode mode = RoutingMode::fallback;
  int attempts = 1;
  std::set<FailureClass> retry_on;
  int backoff_ms = 250;
  int max_retry_after_ms = 30'000;
  std::set<FailureClass> fall_through;
  std::optional<int> attempt_timeout_ms;  // unset: the provider's own total timeout
  std::optional<int> total_timeout_ms;    // unset: no deadline beyond the attempts'
  int breaker_failures = 5;               // 0: the breaker never opens
  int breaker_cooldown_ms = 30'000;
  std::string router_model;  // "provider/model"; empty: the offline classifier

  // From the block's effective value (every key present, validated).
  static RoutingSettings from_effective(const json& block);
};

}  // namespace weir
