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
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/engine/request_context.hpp"

namespace weir {

class Database;

std::vector<LimitScope> limit_scopes(const Gateway& gateway, const Caller& caller);

// Every gateway and API key with a budget, as the scopes requests count
// against (`weir budget show`). A public key's budget counts per address;
// its scopes are those addresses that have spent in the current periods.
std::vector<LimitScope> budget_scopes(Database& database);

void admit_request(RequestContext& context, Database& database, const std::function<int64_t()>& clock);

// Returns "" or why the counters could not be settled.
std::string settle_request(const RequestContext& context, Database& database, const std::function<int64_t()>& clock,
                           long long tokens, double cost);

}  // namespace weir
