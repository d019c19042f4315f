#include "core/engine/resolved_targets.hpp"

#include "core/store/database.hpp"
#include "core/store/provider_repository.hpp"

namespace weir {

namespace {

// Both counters only grow, so their sum moves whenever either does. (Two
// lookups by key: an IN list would build a temporary index on every run.)
int64_t tables_version(Database& database) {
  auto query = database.prepare(
      "SELECT (SELECT version FROM table_versions WHERE name = 'gateways') + "
      "(SELECT version FROM table_versions WHERE name = 'providers')");
  query.step();
  return query.integer(0);
}

// A routing block's providers, resolved (each once; `first` is the first
// target's, already resolved): the plan a RoutedProvider follows.
std::shared_ptr<const RoutePlan> route_plan(RoutingSettings settings, const ProviderConfig& first,
                                            ProviderRepository& providers) {
  auto plan = std::make_shared<RoutePlan>();
  for (const auto& target : settings.targets) {
    const ProviderConfig* known = target.provider == first.name ? &first : nullptr;
    for (const auto& resolved : plan->providers)
      if (resolved.name == target.provider) known = &resolved;
    plan->providers.push_back(known ? ProviderConfig(*known) : providers.resolve(target.provider));
  }
  if (!settings.router_model.empty()) {
    auto slash = settings.router_model.find('/');
    plan->router_provider = providers.resolve(settings.router_model.substr(0, slash));
    plan->router_model = settings.router_model.substr(slash + 1);
  }
  plan->settings = std::move(settings);
  return plan;
}

std::shared_ptr<const ResolvedTarget> read_in_transaction(Database& database, const std::string& reference) {
  auto target = std::make_shared<ResolvedTarget>();
  target->gateway = GatewayRepository(database).resolve_target(reference);
  ProviderRepository providers(database);
  target->provider = providers.resolve(target->gateway.config.provider());
  if (auto routing = target->gateway.config.routing())
    target->route = route_plan(std::move(*routing), target->provider, providers);
  if (json schema = target->gateway.config.effective_value("response_schema"); !schema.is_null())
    target->response_schema = std::make_shared<const JsonSchema>(JsonSchema::compile(schema, "the response schema"));
  target->guards = GuardSet::compile(target->gateway.config.effective_value("guardrails"));
  target->moderation = ModerationSettings::from_config(target->gateway.config.effective_value("moderation"));
  if (target->moderation) target->moderation_provider = providers.resolve(target->moderation->provider);
  target->hooks = HookSet::from_config(target->gateway.config.effective_value("hooks"));
  return target;
}

}  // namespace

std::shared_ptr<const ResolvedTarget> read_resolved_target(Database& database, const std::string& reference) {
  std::shared_ptr<const ResolvedTarget> target;
  database.read_transaction([&] { target = read_in_transaction(database, reference); });
  return target;
}

std::shared_ptr<const ResolvedTarget> ResolvedTargets::resolve(Database& database, const std::string& reference) {
  const int64_t now = tables_version(database);
  {
    std::lock_guard lock(mutex_);
    if (now == version_)
      if (auto found = known_.find(reference); found != known_.end()) return found->second;
  }
  // Read the target and the version it belongs to in one snapshot: a change
  // committed in between would otherwise be remembered under the newer version.
  std::shared_ptr<const ResolvedTarget> target;
  int64_t read_at = 0;
  database.read_transaction([&] {
    read_at = tables_version(database);
    target = read_in_transaction(database, reference);
  });
  std::lock_guard lock(mutex_);
  if (read_at != version_) {
    if (read_at < version_) return target;  // another request already holds newer answers
    known_.clear();
    version_ = read_at;
  }
  if (known_.size() >= kMaxTargets) known_.clear();
  known_[reference] = target;
  return target;
}

}  // namespace weir
