#include "core/policy/limit_settings.hpp"

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"

namespace weir {

namespace {

std::optional<long long> whole(const nlohmann::json& block, const char* name) {
  auto it = block.find(name);
  if (it == block.end() || !it->is_number()) return std::nullopt;
  return it->get<long long>();
}

std::optional<double> amount(const nlohmann::json& block, const char* name) {
  auto it = block.find(name);
  if (it == block.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

LimitSettings LimitSettings::from_json(const nlohmann::json& block) {
  LimitSettings limits;
  if (!block.is_object()) return limits;
  limits.requests_per_minute = whole(block, "requests_per_minute");
  limits.requests_per_hour = whole(block, "requests_per_hour");
  limits.requests_per_day = whole(block, "requests_per_day");
  limits.tokens_per_minute = whole(block, "tokens_per_minute");
  limits.tokens_per_day = whole(block, "tokens_per_day");
  limits.concurrent_requests = whole(block, "concurrent_requests");
  return limits;
}

bool LimitSettings::empty() const {
  return !requests_per_minute && !requests_per_hour && !requests_per_day && !tokens_per_minute && !tokens_per_day &&
         !concurrent_requests;
}

BudgetSettings BudgetSettings::from_json(const nlohmann::json& block) {
  BudgetSettings budget;
  if (!block.is_object()) return budget;
  budget.usd_per_day = amount(block, "usd_per_day");
  budget.usd_per_week = amount(block, "usd_per_week");
  budget.usd_per_month = amount(block, "usd_per_month");
  budget.warn_only = block.value("action", std::string("block")) == "warn";
  return budget;
}

bool BudgetSettings::empty() const { return !usd_per_day && !usd_per_week && !usd_per_month; }

void check_limit_blocks(const nlohmann::json& blocks) {
  if (blocks.is_null()) return;
  if (!blocks.is_object()) throw Error(ErrorKind::usage, "a key's limits must be a JSON object");
  for (const auto& [name, value] : blocks.items()) {
    const auto* field = find_field_schema(name);
    if (!field || (name != "limits" && name != "budget"))
      throw Error(ErrorKind::usage, "a key takes a 'limits' and a 'budget' block, not '" + name + "'");
    check_field_value(name, *field, value);
  }
}

}  // namespace weir
