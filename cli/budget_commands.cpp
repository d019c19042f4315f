// `weir budget show` — what each budget has spent in its current periods.
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/engine/request_limits.hpp"
#include "core/gateway/identifiers.hpp"

namespace weir::cli {

namespace {

std::string usd(double amount) {
  char text[32];
  std::snprintf(text, sizeof text, "$%.4f", amount);
  return text;
}

}  // namespace

void register_budget_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("budget", "Spending budgets of gateways and API keys");
  group->require_subcommand(1);
  group->add_subcommand("show", "Each budget's spend in its current day, week or month, and when it resets")
      ->callback([&context] {
        auto& database = context.database();
        LimitLedger ledger(database);
        std::vector<BudgetPeriod> periods;
        for (const auto& scope : budget_scopes(database))
          for (auto& period : ledger.budget_periods(scope)) periods.push_back(std::move(period));
        if (context.options.json) {
          auto list = nlohmann::json::array();
          for (const auto& period : periods)
            list.push_back({{"scope", period.scope},
                            {"period", period.period},
                            {"budget", period.budget},
                            {"spent", period.spent},
                            {"remaining", std::max(0.0, period.budget - period.spent)},
                            {"resets_at", format_timestamp(period.resets_at)},
                            {"action", period.warn_only ? "warn" : "block"}});
          print_json(list);
          return;
        }
        if (periods.empty()) {
          print_notice("no budgets: set one with `weir gateway update G --budget-day USD`", context.options.quiet);
          return;
        }
        Table table({"SCOPE", "PERIOD", "SPENT", "BUDGET", "RESETS", "ACTION"});
        for (const auto& period : periods)
          table.add({period.scope, period.period, usd(period.spent) + (period.spent >= period.budget ? " (spent)" : ""),
                     usd(period.budget), format_timestamp(period.resets_at), period.warn_only ? "warn" : "block"});
        table.print();
      });
}

}  // namespace weir::cli
