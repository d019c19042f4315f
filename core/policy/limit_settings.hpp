// LimitSettings and BudgetSettings — the `limits` and `budget` blocks of a
// gateway or an API key, typed (the schema rows are in
// core/gateway/config_schema.cpp: limits_schema(), budget_schema()).
//
// from_json() takes a block already validated by those rows (a gateway's
// config, or check_limit_blocks() for a key) and never throws on one; an
// unset field is no limit. empty() says the block limits nothing, so a
// request under no limit skips the ledger (core/policy/limit_ledger.hpp).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

namespace weir {

struct LimitSettings {
  std::optional<long long> requests_per_minute;
  std::optional<long long> requests_per_hour;
  std::optional<long long> requests_per_day;
  std::optional<long long> tokens_per_minute;
  std::optional<long long> tokens_per_day;
  std::optional<long long> concurrent_requests;

  static LimitSettings from_json(const nlohmann::json& block);  // null: no limits
  bool empty() const;
};

struct BudgetSettings {
  std::optional<double> usd_per_day;
  std::optional<double> usd_per_week;
  std::optional<double> usd_per_month;
  bool warn_only = false;  // action: warn

  static BudgetSettings from_json(const nlohmann::json& block);  // null: no budget
  bool empty() const;
};

// Validates a key's {"limits": {...}, "budget": {...}} with the gateway
// schema's rows; Error(usage) naming the field ("limits.tokens_per_minute").
void check_limit_blocks(const nlohmann::json& blocks);

}  // namespace weir
