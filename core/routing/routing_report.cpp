#include "core/routing/routing_report.hpp"

#include <cmath>

namespace weir {

namespace {
double rounded(double milliseconds) { return std::round(milliseconds * 100) / 100; }
}  // namespace

nlohmann::json RouteAttempt::to_json() const {
  nlohmann::json object = {{"call", call},       {"target", target},   {"provider", provider},
                           {"model", model},     {"outcome", outcome}, {"latency_ms", rounded(latency_ms)},
                           {"next", next}};
  if (failure) object["failure"] = enum_name(*failure);
  if (status != 0) object["status"] = status;
  if (!error.empty()) object["error"] = error;
  return object;
}

void RoutingReport::record(RouteAttempt attempt) {
  if (attempt.outcome != "skipped") in_flight = false;
  attempts.push_back(std::move(attempt));
  if (on_attempt) on_attempt(attempts.back(), *this);
}

int RoutingReport::tries() const {
  int count = in_flight ? 1 : 0;
  for (const auto& attempt : attempts)
    if (attempt.outcome != "skipped") ++count;
  return count;
}

void RoutingReport::add_usage(const std::string& provider, const std::string& model, const Usage& added,
                              bool served) {
  if (served) {
    served_provider = provider;
    served_model = model;
  }
  TargetUsage* entry = nullptr;
  for (auto& existing : usage)
    if (existing.provider == provider && existing.model == model) entry = &existing;
  if (!entry) entry = &usage.emplace_back(TargetUsage{provider, model, {}, 0});
  entry->usage.prompt_tokens += added.prompt_tokens;
  entry->usage.completion_tokens += added.completion_tokens;
  entry->usage.cached_tokens += added.cached_tokens;
  entry->usage.cache_write_tokens += added.cache_write_tokens;
  entry->usage.reasoning_tokens += added.reasoning_tokens;
  ++entry->calls;
}

nlohmann::json RoutingReport::to_json() const {
  nlohmann::json object = {{"mode", enum_name(mode)}};
  if (tier) {
    object["tier"] = enum_name(*tier);
    object["tier_source"] = tier_source;
    if (!tier_features.is_null()) object["tier_features"] = tier_features;
  }
  object["served"] = served_provider.empty() ? nlohmann::json(nullptr)
                                             : nlohmann::json{{"provider", served_provider},
                                                              {"model", served_model},
                                                              {"target", served_provider + "/" + served_model}};
  object["attempts"] = nlohmann::json::array();
  for (const auto& attempt : attempts) object["attempts"].push_back(attempt.to_json());
  return object;
}

}  // namespace weir
