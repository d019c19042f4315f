// RoutingReport — what routing did for one request: the complexity tier it
// chose, every attempt (target, outcome, failure, latency), which target
// served, and the usage each target (and the router model) consumed.
//
// The RoutedProvider writes it while the request runs; the engine reads it
// for generation_context.routing, the request log, the usage lines (each
// charged to the target that served it) and the front doors' attempt reports
// (`weir chat -v`, weir serve's X-Weir-* headers). One per request, one thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/gateway/config_schema.hpp"
#include "core/provider/chat.hpp"

namespace weir {

struct RouteAttempt {
  int call = 1;           // which model call of the request (the tool loop makes several)
  std::string target;     // "provider/model"
  std::string provider;
  std::string model;
  std::string outcome;    // "ok" | "failed" | "skipped" (circuit open)
  std::optional<FailureClass> failure;
  int status = 0;         // the upstream's HTTP status, when it answered one
  std::string error;      // the failure, or why it was skipped
  double latency_ms = 0;
  // What routing did next: "served", "retry", "fall through", "stop", "skip".
  std::string next;
  nlohmann::json to_json() const;
};

struct TargetUsage {
  std::string provider;
  std::string model;
  Usage usage;
  int calls = 0;
};

struct RoutingReport {
  RoutingMode mode = RoutingMode::fallback;
  std::optional<ComplexityTier> tier;  // complexity mode
  std::string tier_source;             // "classifier" | "router_model" | why the router model was not used
  nlohmann::json tier_features;        // the classifier's features, when it decided
  std::vector<RouteAttempt> attempts;
  std::string trying;     // the target of the latest try ("provider/model")
  bool in_flight = false;  // that try has not ended yet
  std::string served_provider;  // of the last model call that succeeded
  std::string served_model;
  std::vector<TargetUsage> usage;  // per target charged (it served, or failed after consuming tokens)
  std::optional<TargetUsage> router_usage;
  // Told each attempt as it ends (`weir chat -v`, serve's headers); may be empty.
  std::function<void(const RouteAttempt&, const RoutingReport&)> on_attempt;

  void record(RouteAttempt attempt);
  // Tries so far, the one in flight included (skipped targets are not tries).
  int tries() const;
  // Charges a model call's usage to its target; `served`: the call succeeded
  // (the target becomes the one that served). A failed call that consumed
  // tokens (a stream cut after its usage arrived) is charged all the same.
  void add_usage(const std::string& provider, const std::string& model, const Usage& usage, bool served = true);
  // generation_context.routing: {mode, tier, tier_source, served, attempts}.
  nlohmann::json to_json() const;
};

}  // namespace weir
