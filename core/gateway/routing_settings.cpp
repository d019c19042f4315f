#include "core/gateway/routing_settings.hpp"

namespace weir {

namespace {

std::set<FailureClass> classes_of(const json& names) {
  std::set<FailureClass> classes;
  for (const auto& name : names)
    if (auto parsed = parse_enum<FailureClass>(name.get<std::string>())) classes.insert(*parsed);
  return classes;
}

std::optional<int> optional_integer(const json& value) {
  if (!value.is_number_integer()) return std::nullopt;
  return value.get<int>();
}

}  // namespace

RoutingSettings RoutingSettings::from_effective(const json& block) {
  RoutingSettings settings;
  for (const auto& record : block.at("targets")) {
    RouteTarget target;
    target.provider = record.at("provider").get<std::string>();
    target.model = record.at("model").get<std::string>();
    target.weight = record.value("weight", 1.0);
    if (auto tier = record.find("tier"); tier != record.end() && tier->is_string())
      target.tier = parse_enum<ComplexityTier>(tier->get<std::string>());
    for (const char* field : {"temperature", "top_p", "max_tokens", "reasoning_effort"})
      if (auto value = record.find(field); value != record.end() && !value->is_null()) target.sampling[field] = *value;
    settings.targets.push_back(std::move(target));
  }
  settings.mode = parse_enum<RoutingMode>(block.at("mode").get<std::string>()).value_or(RoutingMode::fallback);
  settings.attempts = block.at("attempts").get<int>();
  settings.retry_on = classes_of(block.at("retry_on"));
  settings.backoff_ms = block.at("backoff_ms").get<int>();
  settings.max_retry_after_ms = block.at("max_retry_after_ms").get<int>();
  settings.fall_through = classes_of(block.at("fall_through"));
  settings.attempt_timeout_ms = optional_integer(block.at("attempt_timeout_ms"));
  settings.total_timeout_ms = optional_integer(block.at("total_timeout_ms"));
  settings.breaker_failures = block.at("breaker_failures").get<int>();
  settings.breaker_cooldown_ms = block.at("breaker_cooldown_ms").get<int>();
  if (block.at("router_model").is_string()) settings.router_model = block.at("router_model").get<std::string>();
  return settings;
}

}  // namespace weir
