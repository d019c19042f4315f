// UsageReport — `weir usage`: the request log summed by one dimension over a
// time range (DESIGN.md "Data model": usage lives in the requests table).
//
// Every figure is a sum over request log rows (`weir logs --json` shows the
// same rows): requests, tokens in / out / cached, cost (the usage lines'
// amounts, so streamed and cancelled requests are in), errors, cache hits (rows
// answered from a gateway's response cache) and money saved (their `saved`,
// what each stored answer cost upstream). By sku, a row is one
// usage line kind ("openai/gpt-4o:output_tokens"): its tokens are the lines'
// quantities and its requests the rows that have such a line.
// Also the daily cost over the range, for a sparkline. Read-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

enum class UsageDimension { gateway, model, key, provider, sku, day, user };

struct UsageRow {
  std::string group;  // "" when the rows have none (no key, no user)
  long long requests = 0;
  long long tokens_in = 0;
  long long tokens_out = 0;
  long long tokens_cached = 0;
  double cost = 0;
  long long errors = 0;
  long long cache_hits = 0;
  double saved = 0;
  nlohmann::json to_json() const;
};

struct UsageReport {
  std::vector<UsageRow> rows;  // by cost, largest first (by day: in date order)
  UsageRow total;
  std::vector<std::pair<std::string, double>> daily_cost;  // every day of the range, oldest first
};

// Error(usage) for a name that is not a dimension.
UsageDimension parse_usage_dimension(const std::string& name);

// [since, until) in unix milliseconds.
UsageReport usage_report(Database& database, UsageDimension by, int64_t since, int64_t until);

// "7d", "12h", "30m" before `now`, or a UTC date "2026-11-01" (its midnight),
// or an RFC 3339 time "2026-11-01T12:00:00Z"; Error(usage) otherwise.
int64_t parse_time_bound(const std::string& text, int64_t now);

}  // namespace weir
