// RoutedProvider — a gateway's several upstreams behind the one Provider
// interface the engine calls (a decorator over the targets' adapters).
//
// Each chat() is one model call routed on its own (the tool loop makes
// several): the targets are put in order by the routing mode (fallback: as
// listed; loadbalance: a weighted random draw, the rest after it in weighted
// order; complexity: the targets of the request's tier, then the nearest
// tiers), with the target that served this request's previous call first.
// Then each target in turn, unless its circuit is open: up to `attempts`
// tries, waiting between them (doubling backoff, or the upstream's
// Retry-After up to max_retry_after_ms) for the failure classes in
// `retry_on`; a failure class in `fall_through` moves on to the next target,
// any other ends the call with that error. Nothing falls over once a delta
// has reached the caller: the stream ends with the error, as with one
// upstream. The targets' own adapters do not retry (max_retries 0), so
// routing's tries are the only ones. total_timeout_ms bounds every try and
// wait of one call.
//
// A gate (set_gate) may hold a target back before it is tried: a provider
// over its budget is skipped like an open circuit, and when no target was
// tried for that reason the call fails with the gate's error (429
// budget_exceeded), its message listing each target's.
//
// Every attempt, the tier and the usage per target go to the RoutingReport.
// When every target failed, the error is the last one's kind (its exit code
// and HTTP status), its message listing each target's failure.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/gateway/routing_settings.hpp"
#include "core/provider/provider.hpp"
#include "core/routing/routing_report.hpp"
#include "core/routing/routing_state.hpp"

namespace weir {

// A routing block with its providers resolved.
struct RoutePlan {
  RoutingSettings settings;
  std::vector<ProviderConfig> providers;          // one per target, in the targets' order
  std::optional<ProviderConfig> router_provider;  // when settings.router_model is set
  std::string router_model;                       // the model id of router_model
};

class RoutedProvider : public Provider {
 public:
  // `plan` may be shared by many requests (a server remembers it between
  // them). `conversation`: the caller's (complexity mode reads it, not the
  // built prompt); it outlives the provider. Null: the request's messages.
  RoutedProvider(std::shared_ptr<const RoutePlan> plan, ProviderFactory factory, std::shared_ptr<RoutingState> state,
                 std::shared_ptr<RoutingReport> report, const json* conversation = nullptr);

  // Asked with a target's provider before each try; an Error skips it.
  using TargetGate = std::function<std::optional<Error>(const ProviderConfig&)>;
  void set_gate(TargetGate gate) { gate_ = std::move(gate); }

  // What every target can do: a request must be one each of them can serve.
  ProviderCapabilities capabilities() const override;
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) override;
  void ground(Grounding grounding) override;
  // The first target's request, with "routing": {mode, targets}.
  json describe_request(const ChatRequest& request) const override;
  std::vector<std::string> models(const CancelToken& cancel) override;
  std::vector<std::vector<float>> embeddings(const std::string& model, const std::vector<std::string>& inputs,
                                             const CancelToken& cancel) override;

 private:
  std::vector<size_t> order_for(const ChatRequest& request, const CancelToken& cancel);
  void choose_tier(const ChatRequest& request, const CancelToken& cancel);
  // The target's adapter for one try: the shared one, or a fresh one when the
  // deadline leaves less time than the try would otherwise get.
  Provider& adapter_for(size_t index, std::optional<std::chrono::milliseconds> remaining,
                        std::unique_ptr<Provider>& fresh);
  ProviderConfig attempt_config(size_t index) const;

  std::shared_ptr<const RoutePlan> plan_;
  const json* conversation_;
  ProviderFactory factory_;
  std::shared_ptr<RoutingState> state_;
  std::shared_ptr<RoutingReport> report_;
  std::vector<std::unique_ptr<Provider>> adapters_;  // one per target, made with attempt_config()
  std::optional<Grounding> grounding_;
  std::optional<size_t> preferred_;  // served the previous call
  TargetGate gate_;
  int calls_ = 0;
};

}  // namespace weir
