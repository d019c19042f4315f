#include "core/engine/request_limits.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <set>

#include "core/engine/context_budget.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/key_repository.hpp"
#include "core/store/provider_repository.hpp"

namespace weir {

namespace {

// What a remote address counts as for a public key's limits: an IPv6 host
// holds a whole /64 (it can pick any address in it), so the /64 is one
// party; an IPv4-mapped address is its IPv4 address.
std::string counted_address(const std::string& address) {
  in6_addr parsed{};
  if (address.find(':') == std::string::npos || inet_pton(AF_INET6, address.c_str(), &parsed) != 1) return address;
  if (IN6_IS_ADDR_V4MAPPED(&parsed)) return address.substr(address.rfind(':') + 1);
  std::fill(parsed.s6_addr + 8, parsed.s6_addr + 16, 0);
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, &parsed, text, sizeof text)) return address;
  return std::string(text) + "/64";
}

}  // namespace

std::vector<LimitScope> limit_scopes(const Gateway& gateway, const Caller& caller) {
  std::vector<LimitScope> scopes;
  if (!gateway.is_bare()) {
    const auto& fields = gateway.config.fields();
    LimitScope scope;
    scope.limits = LimitSettings::from_json(fields.value("limits", json()));
    scope.budget = BudgetSettings::from_json(fields.value("budget", json()));
    if (!scope.limits.empty() || !scope.budget.empty()) {
      scope.id = "gateway:" + gateway.id;
      scope.label = "gateway '" + gateway.name + "'";
      scopes.push_back(std::move(scope));
    }
  }
  if (!caller.key_id.empty() && caller.key_limits.is_object()) {
    LimitScope scope;
    scope.limits = LimitSettings::from_json(caller.key_limits.value("limits", json()));
    scope.budget = BudgetSettings::from_json(caller.key_limits.value("budget", json()));
    if (!scope.limits.empty() || !scope.budget.empty()) {
      scope.id = "key:" + caller.key_id;
      scope.label = "API key '" + caller.key_name + "'";
      if (caller.public_key && !caller.remote_address.empty()) {
        // Anyone can come from a new address: these scopes are bounded in
        // the counters file and share one overflow scope past that.
        auto address = counted_address(caller.remote_address);
        scope.overflow_id = scope.id + "@*";
        scope.id += "@" + address;
        scope.label += " from " + address;
      }
      scopes.push_back(std::move(scope));
    }
  }
  return scopes;
}

std::optional<LimitScope> provider_budget_scope(const ProviderConfig& provider) {
  if (!provider.budget.is_object()) return std::nullopt;
  LimitScope scope;
  scope.budget = BudgetSettings::from_json(provider.budget);
  if (scope.budget.empty()) return std::nullopt;
  scope.id = "provider:" + provider.name;
  scope.label = "provider '" + provider.name + "'";
  return scope;
}

std::function<std::optional<Error>(const ProviderConfig&)> provider_budget_gate(Database& database,
                                                                                 std::function<int64_t()> clock) {
  return [&database, clock = std::move(clock)](const ProviderConfig& provider) -> std::optional<Error> {
    auto scope = provider_budget_scope(provider);
    if (!scope) return std::nullopt;
    return LimitLedger(database, clock).budget_refusal(*scope);
  };
}

std::vector<LimitScope> budget_scopes(Database& database) {
  std::vector<LimitScope> scopes;
  LimitLedger ledger(database);
  for (const auto& gateway : GatewayRepository(database).list())
    for (auto& scope : limit_scopes(gateway, Caller{}))
      if (!scope.budget.empty()) scopes.push_back(std::move(scope));
  for (const auto& key : KeyRepository(database).list()) {
    Caller caller(key.name, key.is_public);
    caller.key_id = key.id;
    caller.key_limits = key.limits;
    for (auto& scope : limit_scopes(Gateway{}, caller)) {
      if (scope.budget.empty()) continue;
      if (!key.is_public) {
        scopes.push_back(std::move(scope));
        continue;
      }
      // The addresses with a counter of this key's budget ("key:ID@ADDRESS:usd_per_day").
      std::set<std::string> seen;
      for (const auto& name : ledger.counter_names(scope.id + "@")) {
        auto colon = name.rfind(':');
        if (colon == std::string::npos || name.compare(colon, 9, ":usd_per_") != 0) continue;
        auto address = name.substr(scope.id.size() + 1, colon - scope.id.size() - 1);
        if (!seen.insert(address).second) continue;
        auto per_address = scope;
        per_address.id += "@" + address;
        per_address.label += address == "*" ? " from addresses the counters file had no room for" : " from " + address;
        scopes.push_back(std::move(per_address));
      }
    }
  }
  for (const auto& provider : ProviderRepository(database).list())
    if (auto scope = provider_budget_scope(provider)) scopes.push_back(std::move(*scope));
  return scopes;
}

void admit_request(RequestContext& context, Database& database, const std::function<int64_t()>& clock) {
  // One upstream: its provider's budget is known before the call.
  if (!context.routing)
    if (auto scope = provider_budget_scope(context.provider)) {
      std::vector<std::string> warnings;
      if (auto refused = LimitLedger(database, clock).budget_refusal(*scope, &warnings)) throw *refused;
      context.admission.budget_warnings = std::move(warnings);
    }
  auto scopes = limit_scopes(context.gateway, context.input.caller);
  if (scopes.empty()) return;
  auto warnings = std::move(context.admission.budget_warnings);
  long long estimate = estimate_tokens(context.input.messages) + context.request.sampling.max_tokens.value_or(0);
  context.admission = LimitLedger(database, clock).admit(std::move(scopes), new_uuid_v7(), estimate);
  context.admission.budget_warnings.insert(context.admission.budget_warnings.begin(), warnings.begin(),
                                           warnings.end());
}

std::string settle_request(const RequestContext& context, Database& database, const std::function<int64_t()>& clock,
                           long long tokens, double cost, const json& usage_lines) {
  if (!context.admission.active() && context.budgeted_providers.empty()) return {};
  try {
    LimitLedger ledger(database, clock);
    ledger.settle(context.admission, tokens, [cost](const LimitScope&) { return cost; });
    for (const auto& provider : context.budgeted_providers) {
      auto scope = provider_budget_scope(provider);
      if (!scope) continue;
      double served = 0;
      auto prefix = provider.name + "/";
      for (const auto& line : usage_lines)
        if (line.is_object() && line.value("sku", std::string()).starts_with(prefix))
          served += line.value("amount", 0.0);
      ledger.charge(*scope, served);
    }
  } catch (const Error& error) {
    return std::string("limits and budgets were not settled: ") + error.what();
  }
  return {};
}

}  // namespace weir
