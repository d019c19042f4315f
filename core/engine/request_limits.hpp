// Request limits — which limits and budgets a chat request counts against,
// and the two moments it meets them (DESIGN.md "The engine pipeline", step 2).
//
// The scopes: the gateway's `limits` and `budget` blocks, and the API key's
// (a public key's counted per remote address, so one client of an app that
// ships the key cannot use up everybody's share). admit_request() runs in the
// pipeline's limits stage, before anything is spent: the estimate is the
// conversation's estimated tokens plus max_tokens when one is set; a refusal
// is the ledger's Error(rate_limited). settle_request() runs when the
// request has ended, ok or not, with what it really used and cost (the same
// usage lines as generated_usage); it never throws: a store failure there is
// returned as text for the request log, since the answer is already out.
//
// A provider's budget ("provider:NAME") counts what the requests it served
// cost, from the usage lines charged to it (their sku starts "NAME/"). With
// one upstream, admit_request() refuses once that provider's budget is
// spent; with a routing block, the gate (provider_budget_gate) makes routing
// skip a spent provider and fall over to the next target, and only a request
// no target may serve is refused.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/request_context.hpp"

namespace weir {

class Database;

std::vector<LimitScope> limit_scopes(const Gateway& gateway, const Caller& caller);
// A provider's budget as a scope; nullopt when it has none.
std::optional<LimitScope> provider_budget_scope(const ProviderConfig& provider);
// For RoutedProvider::set_gate: the budget_exceeded Error of a spent provider.
std::function<std::optional<Error>(const ProviderConfig&)> provider_budget_gate(Database& database,
                                                                                 std::function<int64_t()> clock);

// Every gateway, API key and provider with a budget, as the scopes requests count
// against (`weir budget show`). A public key's budget counts per address;
// its scopes are those addresses that have spent in the current periods.
std::vector<LimitScope> budget_scopes(Database& database);

void admit_request(RequestContext& context, Database& database, const std::function<int64_t()>& clock);

// Returns "" or why the counters could not be settled.
// `usage_lines`: the request log row's (generated_usage), for the providers' budgets.
std::string settle_request(const RequestContext& context, Database& database, const std::function<int64_t()>& clock,
                           long long tokens, double cost, const json& usage_lines);

}  // namespace weir
