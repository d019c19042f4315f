// Dashboard report — what the dashboard at `/` of `weir serve` shows, read
// from the store in one go (DESIGN.md "HTTP"): the gateways with their
// model and settings that matter at a glance, the collections with their
// document counts, the most recent requests, and, over the last `days` days,
// tokens, cost, requests, errors and cache hits per day plus the cache and
// error rates of the period. Figures are request log sums, as `weir usage`
// computes them. Read-only; `now` is unix milliseconds.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

// {generated_at, gateways: [{name, slug, provider, model, collections, cache, limits}],
//  collections: [{name, embedder, documents, queued}],
//  recent: [{id, created_at, front_door, gateway, model, status, tokens_in, tokens_out, cost, latency_ms, cache}],
//  days: [{day, requests, tokens_in, tokens_out, cost, errors, cache_hits}],
//  totals: {requests, tokens_in, tokens_out, cost, errors, cache_hits, error_rate, cache_hit_rate}}
nlohmann::json dashboard_report(Database& database, int64_t now, int days = 14, int recent = 20);

}  // namespace weir
