#include "core/routing/routed_provider.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/routing/complexity_classifier.hpp"
#include "core/routing/failure_class.hpp"

namespace weir {

namespace {

using std::chrono::milliseconds;

double milliseconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A delta with nothing in it (a role-only first chunk) is not the answer's
// first token: holding it back keeps a failure after it free to fall over.
bool carries_nothing(const StreamDelta& delta) {
  return delta.content.empty() && delta.reasoning.empty() && delta.tool_calls.empty() && !delta.finish_reason &&
         !delta.usage && !delta.server_tool;
}

// The tiers tried after the request's own: a stronger model is the safer
// stand-in, so medium falls to high before low.
std::vector<ComplexityTier> tier_sequence(ComplexityTier tier) {
  switch (tier) {
    case ComplexityTier::low: return {ComplexityTier::low, ComplexityTier::medium, ComplexityTier::high};
    case ComplexityTier::medium: return {ComplexityTier::medium, ComplexityTier::high, ComplexityTier::low};
    case ComplexityTier::high: break;
  }
  return {ComplexityTier::high, ComplexityTier::medium, ComplexityTier::low};
}

void apply_target_sampling(const json& sampling, SamplingParameters& parameters) {
  if (auto value = sampling.find("temperature"); value != sampling.end()) parameters.temperature = value->get<double>();
  if (auto value = sampling.find("top_p"); value != sampling.end()) parameters.top_p = value->get<double>();
  if (auto value = sampling.find("max_tokens"); value != sampling.end()) parameters.max_tokens = value->get<int64_t>();
  if (auto value = sampling.find("reasoning_effort"); value != sampling.end())
    parameters.reasoning_effort = value->get<std::string>();
}

constexpr int kRouterTimeoutMs = 10'000;

std::string seconds_text(milliseconds duration) { return std::to_string((duration.count() + 999) / 1000) + " s"; }

}  // namespace

RoutedProvider::RoutedProvider(std::shared_ptr<const RoutePlan> plan, ProviderFactory factory,
                               std::shared_ptr<RoutingState> state, std::shared_ptr<RoutingReport> report,
                               const json* conversation)
    : plan_(std::move(plan)),
      conversation_(conversation),
      factory_(std::move(factory)),
      state_(std::move(state)),
      report_(std::move(report)) {
  if (plan_->settings.targets.empty() || plan_->providers.size() != plan_->settings.targets.size())
    throw Error(ErrorKind::usage, "a routing block needs at least one target, each with its provider");
  report_->mode = plan_->settings.mode;
  for (size_t index = 0; index < plan_->providers.size(); ++index) adapters_.push_back(factory_(attempt_config(index)));
}

ProviderConfig RoutedProvider::attempt_config(size_t index) const {
  ProviderConfig config = plan_->providers[index];
  config.max_retries = 0;  // routing's tries are the only ones
  if (plan_->settings.attempt_timeout_ms) config.total_timeout_ms = *plan_->settings.attempt_timeout_ms;
  return config;
}

ProviderCapabilities RoutedProvider::capabilities() const {
  ProviderCapabilities all = adapters_.front()->capabilities();
  for (const auto& adapter : adapters_) {
    auto each = adapter->capabilities();
    all.streaming &= each.streaming;
    all.tools &= each.tools;
    all.prefill &= each.prefill;
    all.system_role &= each.system_role;
    all.json_schema &= each.json_schema;
    all.image_input &= each.image_input;
    all.audio_input &= each.audio_input;
    all.file_input &= each.file_input;
    all.embeddings &= each.embeddings;
    all.reasoning &= each.reasoning;
    all.query_rewrite &= each.query_rewrite;
    all.answers_from_documents |= each.answers_from_documents;  // a need (grounding), not an ability
  }
  return all;
}

void RoutedProvider::ground(Grounding grounding) {
  for (auto& adapter : adapters_) adapter->ground(grounding);
  grounding_ = std::move(grounding);
}

json RoutedProvider::describe_request(const ChatRequest& request) const {
  ChatRequest first = request;
  first.model = plan_->settings.targets.front().model;
  apply_target_sampling(plan_->settings.targets.front().sampling, first.sampling);
  json described = adapters_.front()->describe_request(first);
  json targets = json::array();
  for (const auto& target : plan_->settings.targets) targets.push_back(target.label());
  described["routing"] = {{"mode", enum_name(plan_->settings.mode)}, {"targets", targets}};
  return described;
}

std::vector<std::string> RoutedProvider::models(const CancelToken& cancel) { return adapters_.front()->models(cancel); }

std::vector<std::vector<float>> RoutedProvider::embeddings(const std::string& model,
                                                           const std::vector<std::string>& inputs,
                                                           const CancelToken& cancel) {
  return adapters_.front()->embeddings(model, inputs, cancel);
}

void RoutedProvider::choose_tier(const ChatRequest& request, const CancelToken& cancel) {
  if (report_->tier) return;
  // The caller's conversation, not the prompt built from it: retrieved
  // documents and instructions say nothing about how hard the question is.
  const json& conversation = conversation_ ? *conversation_ : request.messages;
  report_->tier_source = "classifier";
  if (plan_->router_provider) {
    try {
      // A classification is worth a few seconds at most: the classifier is the fallback.
      ProviderConfig config = *plan_->router_provider;
      config.max_retries = 0;
      config.total_timeout_ms = std::min(config.total_timeout_ms > 0 ? config.total_timeout_ms : kRouterTimeoutMs,
                                         kRouterTimeoutMs);
      config.connect_timeout_ms = std::min(config.connect_timeout_ms, kRouterTimeoutMs);
      auto router = factory_(config);
      auto completion = router->chat(complexity_request(conversation, plan_->router_model),
                                     [](const StreamDelta&) {}, cancel);
      TargetUsage used{plan_->router_provider->name, plan_->router_model, completion.usage.value_or(Usage{}), 1};
      report_->router_usage = used;
      if (auto tier = read_complexity_answer(completion.content)) {
        report_->tier = *tier;
        report_->tier_source = "router_model";
        return;
      }
      report_->tier_source = "classifier (the router model answered \"" + first_bytes(completion.content, 60) +
                             "\", not low, medium or high)";
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::interrupted) throw;
      report_->tier_source = "classifier (the router model failed: " + first_bytes(error.what(), 300) + ")";
    }
  }
  auto verdict = classify_complexity(conversation);
  report_->tier = verdict.tier;
  report_->tier_features = verdict.features;
}

std::vector<size_t> RoutedProvider::order_for(const ChatRequest& request, const CancelToken& cancel) {
  const auto& targets = plan_->settings.targets;
  std::vector<size_t> order;
  switch (plan_->settings.mode) {
    case RoutingMode::fallback:
      for (size_t index = 0; index < targets.size(); ++index) order.push_back(index);
      break;
    case RoutingMode::loadbalance: {
      // A weighted draw without replacement: the first pick follows the
      // weights, and so does each fallback after it.
      std::vector<size_t> left;
      for (size_t index = 0; index < targets.size(); ++index) left.push_back(index);
      while (!left.empty()) {
        double total = 0;
        for (size_t index : left) total += targets[index].weight;
        size_t chosen = 0;
        if (total > 0) {
          double point = state_->draw() * total;
          for (; chosen + 1 < left.size(); ++chosen) {
            point -= targets[left[chosen]].weight;
            if (point < 0) break;
          }
        }
        order.push_back(left[chosen]);
        left.erase(left.begin() + static_cast<std::ptrdiff_t>(chosen));
      }
      break;
    }
    case RoutingMode::complexity:
      choose_tier(request, cancel);
      for (ComplexityTier tier : tier_sequence(*report_->tier))
        for (size_t index = 0; index < targets.size(); ++index)
          if (targets[index].tier == tier) order.push_back(index);
      break;
  }
  if (preferred_) {
    auto found = std::find(order.begin(), order.end(), *preferred_);
    if (found != order.end()) std::rotate(order.begin(), found, found + 1);
  }
  return order;
}

Provider& RoutedProvider::adapter_for(size_t index, std::optional<milliseconds> remaining,
                                      std::unique_ptr<Provider>& fresh) {
  ProviderConfig config = attempt_config(index);
  if (!remaining || (config.total_timeout_ms > 0 && config.total_timeout_ms <= remaining->count()))
    return *adapters_[index];
  const int limit = static_cast<int>(std::max<int64_t>(1, remaining->count()));
  config.total_timeout_ms = limit;
  config.connect_timeout_ms = std::min(config.connect_timeout_ms, limit);
  fresh = factory_(config);
  if (grounding_) fresh->ground(*grounding_);
  return *fresh;
}

Completion RoutedProvider::chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) {
  const RoutingSettings& settings = plan_->settings;
  const int call = ++calls_;
  const auto order = order_for(request, cancel);
  const auto started = state_->now();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (settings.total_timeout_ms) deadline = started + milliseconds(*settings.total_timeout_ms);
  const BreakerPolicy policy{settings.breaker_failures, milliseconds(settings.breaker_cooldown_ms)};

  std::optional<Error> last_failure;
  std::vector<std::string> failures;  // "[1] provider/model: what happened", for the final message
  std::optional<milliseconds> soonest_probe;
  std::optional<Error> held_back;  // the gate's last refusal
  int tries = 0;

  auto remaining_time = [&]() -> std::optional<milliseconds> {
    if (!deadline) return std::nullopt;
    return std::chrono::ceil<milliseconds>(*deadline - state_->now());
  };
  auto deadline_error = [&]() {
    std::string message = "the gateway's routing deadline of " + std::to_string(*settings.total_timeout_ms) +
                          " ms (routing.total_timeout_ms) passed after " + std::to_string(tries) + " tries";
    if (!failures.empty()) message += ": " + failures.back();
    return Error(ErrorKind::upstream_timeout,
                 message + "; raise it with `weir gateway update GATEWAY --total-timeout-ms MS`");
  };

  for (size_t index : order) {
    const RouteTarget& target = settings.targets[index];
    const std::string label = target.label();
    auto admission = state_->breakers().admit(label, policy);
    if (!admission.admitted) {
      soonest_probe = soonest_probe ? std::min(*soonest_probe, admission.retry_in) : admission.retry_in;
      failures.push_back(label + ": skipped, its circuit is open");
      report_->record({call, label, target.provider, target.model, "skipped", std::nullopt, 0,
                       "circuit open after repeated failures; next probe in " + seconds_text(admission.retry_in), 0,
                       "skip"});
      continue;
    }
    if (gate_) {
      if (auto refused = gate_(plan_->providers[index])) {
        failures.push_back(label + ": skipped, " + refused->what());
        report_->record({call, label, target.provider, target.model, "skipped", std::nullopt, 0, refused->what(), 0,
                         "skip"});
        held_back = std::move(refused);
        continue;
      }
    }
    // The target's request: the caller's, with the target's model and sampling.
    std::optional<ChatRequest> own_request;
    if (target.model != request.model || !target.sampling.empty()) {
      own_request = request;
      own_request->model = target.model;
      apply_target_sampling(target.sampling, own_request->sampling);
    }
    const ChatRequest& routed = own_request ? *own_request : request;

    for (int attempt = 1;; ++attempt) {
      auto remaining = remaining_time();
      if (remaining && remaining->count() <= 0) {
        if (admission.probe) state_->breakers().abandoned(label);
        throw deadline_error();
      }
      ++tries;
      report_->trying = label;
      report_->in_flight = true;
      const auto attempt_started = state_->now();
      bool delivered = false;
      std::optional<Usage> consumed;  // what the upstream said this try used, even if it then failed
      std::unique_ptr<Provider> fresh;  // set when the deadline shortened this try
      try {
        Provider& adapter = adapter_for(index, remaining, fresh);
        Completion completion = adapter.chat(
            routed,
            [&](const StreamDelta& delta) {
              if (carries_nothing(delta)) return;
              if (delta.usage) consumed = delta.usage;
              delivered = true;
              on_delta(delta);
            },
            cancel);
        state_->breakers().succeeded(label);
        report_->add_usage(target.provider, target.model, completion.usage.value_or(Usage{}));
        report_->record({call, label, target.provider, target.model, "ok", std::nullopt, 0, "",
                         milliseconds_between(attempt_started, state_->now()), "served"});
        preferred_ = index;
        return completion;
      } catch (const Error& error) {
        RouteAttempt failed{call, label, target.provider, target.model, "failed", std::nullopt,
                            error.upstream_status(), first_bytes(error.what(), 2000),
                            milliseconds_between(attempt_started, state_->now()), "stop"};
        if (consumed) report_->add_usage(target.provider, target.model, *consumed, false);
        if (error.kind() == ErrorKind::interrupted || cancel.cancelled()) {
          if (admission.probe) state_->breakers().abandoned(label);
          report_->record(std::move(failed));
          throw;
        }
        const auto failure = classify_failure(error);
        failed.failure = failure;
        // A try the routing deadline cut short says nothing about the target.
        const bool cut_by_deadline = fresh && failure == FailureClass::timeout;
        if (failure && counts_against_target(*failure, error.upstream_status()) && !cut_by_deadline)
          state_->breakers().failed(label, policy, first_bytes(error.what(), 300));
        else if (admission.probe)
          state_->breakers().abandoned(label);
        admission.probe = false;
        remaining = remaining_time();

        // What next: the same target again, the next one, or the end.
        std::optional<milliseconds> wait;
        bool fall_through = failure && !delivered && settings.fall_through.count(*failure) > 0;
        if (failure && !delivered && attempt < settings.attempts && settings.retry_on.count(*failure) &&
            state_->breakers().state(label) != BreakerState::open) {
          if (*failure == FailureClass::rate_limit && error.retry_after_seconds() > 0) {
            milliseconds asked(int64_t{error.retry_after_seconds()} * 1000);
            if (asked.count() <= settings.max_retry_after_ms) wait = asked;
          } else {
            // Doubling, but never past the longest wait the gateway would honour.
            double nominal = std::min<double>(settings.backoff_ms * std::pow(2.0, attempt - 1),
                                              settings.max_retry_after_ms);
            wait = milliseconds(static_cast<int64_t>(nominal * (0.5 + state_->draw())));
          }
          // A wait the deadline cannot afford is better spent on the next target.
          if (wait && remaining && *wait >= *remaining) wait.reset();
        }
        if (delivered || !failure || (!wait && !fall_through)) {
          report_->record(std::move(failed));
          throw;
        }
        failed.next = wait ? "retry" : "fall through";
        report_->record(std::move(failed));
        failures.push_back("[" + std::to_string(tries) + "] " + label + ": " + first_bytes(error.what(), 400));
        last_failure = error;
        if (!wait) break;
        state_->wait(*wait, cancel);
      } catch (...) {
        // Not an upstream failure (a bug, an exhausted allocator): no verdict.
        if (admission.probe) state_->breakers().abandoned(label);
        report_->in_flight = false;
        throw;
      }
    }
  }

  if (!last_failure && held_back) {
    std::string message = "no target of the gateway may be tried: ";
    for (size_t index = 0; index < failures.size(); ++index) message += (index ? "; " : "") + failures[index];
    Error error(held_back->kind(), message, held_back->code());
    error.set_retry_after_seconds(held_back->retry_after_seconds());
    throw error;
  }
  if (!last_failure) {
    Error error(ErrorKind::upstream,
                "every target of the gateway is skipped: each failed repeatedly and its circuit is open; the next "
                "probe is in " + seconds_text(soonest_probe.value_or(milliseconds(1000))) +
                    " (the breaker settings: routing.breaker_failures, routing.breaker_cooldown_ms); `weir provider "
                    "test NAME` checks a provider now",
                "upstream_unavailable");
    error.set_retry_after_seconds(static_cast<int>((soonest_probe.value_or(milliseconds(1000)).count() + 999) / 1000));
    throw error;
  }
  std::string message = "every target failed (" + std::to_string(tries) + " tries): ";
  for (size_t index = 0; index < failures.size(); ++index)
    message += (index ? "; " : "") + failures[index];
  Error combined(last_failure->kind(), message, last_failure->code());
  combined.set_upstream_status(last_failure->upstream_status());
  combined.set_retry_after_seconds(last_failure->retry_after_seconds());
  throw combined;
}

}  // namespace weir
