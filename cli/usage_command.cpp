// `weir usage [--by D] [--since T] [--until T]` — the request log summed
// (`--by tool`: the tool call log).
// On a terminal: a bar per group and a sparkline of the daily cost; piped:
// the plain table (and --json the figures).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/tool_call_log.hpp"
#include "core/store/usage_report.hpp"

namespace weir::cli {

namespace {

struct UsageOptions {
  std::string by = "gateway";
  std::string since = "7d";
  std::string until;
};

std::string usd(double amount) {
  char text[32];
  std::snprintf(text, sizeof text, "$%.4f", amount);
  return text;
}

std::string bar(double value, double largest, int width) {
  int cells = largest > 0 ? static_cast<int>(value / largest * width + 0.5) : 0;
  std::string text;
  for (int cell = 0; cell < cells; ++cell) text += "█";
  return text;
}

std::string sparkline(const std::vector<std::pair<std::string, double>>& days) {
  static const char* const kLevels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  double largest = 0;
  for (const auto& [day, cost] : days) largest = std::max(largest, cost);
  std::string line;
  for (const auto& [day, cost] : days)
    line += kLevels[largest > 0 ? std::min(7, static_cast<int>(cost / largest * 7 + 0.5)) : 0];
  return line;
}

// `--by tool`: the tool call log (core/store/tool_call_log.hpp), not the request log.
void print_tool_usage(CommandContext& context, int64_t since, int64_t until) {
  auto rows = ToolCallLog(context.database()).usage(since, until);
  if (context.options.json) {
    auto groups = nlohmann::json::array();
    for (const auto& row : rows) groups.push_back(row.to_json());
    print_json({{"by", "tool"}, {"since", format_timestamp(since)}, {"until", format_timestamp(until)}, {"groups", groups}});
    return;
  }
  if (rows.empty()) {
    print_notice("no tool calls between " + format_timestamp(since) + " and " + format_timestamp(until),
                 context.options.quiet);
    return;
  }
  Table table({"TOOL", "SOURCE", "CALLS", "ERRORS", "CANCELLED", "AVG MS", "SLOWEST MS", "IN", "OUT", "CALLERS"});
  for (const auto& row : rows) {
    std::string callers;
    for (const auto& caller : row.callers) callers += (callers.empty() ? "" : ", ") + (caller.empty() ? "local" : caller);
    table.add({row.tool, row.source, std::to_string(row.calls), std::to_string(row.errors), std::to_string(row.cancelled),
               std::to_string(static_cast<long long>(row.average_ms + 0.5)),
               std::to_string(static_cast<long long>(row.slowest_ms + 0.5)), std::to_string(row.arguments_bytes),
               std::to_string(row.result_bytes), callers});
  }
  table.print();
}

}  // namespace

void register_usage_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<UsageOptions>();
  auto* usage = app.add_subcommand("usage", "Requests, tokens, cost and errors from the request log, grouped");
  usage->add_option("--by", options->by, "Group by gateway, model, key, provider, sku, day or user (default gateway); tool: the MCP tool calls")
      ->type_name("DIMENSION");
  usage->add_option("--since", options->since, "From this long ago (7d, 12h) or this UTC date (default 7d)")
      ->type_name("TIME");
  usage->add_option("--until", options->until, "Up to this long ago or this UTC date (default now)")->type_name("TIME");
  usage->callback([&context, options] {
    auto now = now_milliseconds();
    auto since = parse_time_bound(options->since, now);
    auto until = options->until.empty() ? now + 1 : parse_time_bound(options->until, now);
    if (until <= since) throw Error(ErrorKind::usage, "--until must be after --since");
    if (options->by == "tool") {
      print_tool_usage(context, since, until);
      return;
    }
    auto by = parse_usage_dimension(options->by);
    auto report = usage_report(context.database(), by, since, until);
    if (context.options.json) {
      auto groups = nlohmann::json::array();
      for (const auto& row : report.rows) groups.push_back(row.to_json());
      auto daily = nlohmann::json::array();
      for (const auto& [day, cost] : report.daily_cost) daily.push_back({{"day", day}, {"cost", cost}});
      print_json({{"by", options->by},
                  {"since", format_timestamp(since)},
                  {"until", format_timestamp(until)},
                  {"groups", groups},
                  {"total", report.total.to_json()},
                  {"daily", daily}});
      return;
    }
    if (report.total.requests == 0) {
      print_notice("no requests between " + format_timestamp(since) + " and " + format_timestamp(until),
                   context.options.quiet);
      return;
    }
    bool terminal = stdout_is_terminal();
    double largest = 0;
    for (const auto& row : report.rows) largest = std::max(largest, row.cost > 0 ? row.cost : 0.0);
    bool by_requests = largest == 0;  // nothing priced: the bars show requests
    if (by_requests)
      for (const auto& row : report.rows) largest = std::max(largest, static_cast<double>(row.requests));
    std::vector<std::string> header = {std::string(options->by == "day" ? "DAY" : "GROUP"), "REQUESTS", "IN",
                                       "OUT", "CACHED", "COST", "ERRORS", "CACHE HITS", "SAVED"};
    if (terminal) header.push_back(by_requests ? "REQUESTS" : "COST");
    Table table(header);
    auto cells = [&](const UsageRow& row, bool with_bar) {
      std::vector<std::string> line = {row.group.empty() ? "-" : row.group,  std::to_string(row.requests),
                                       std::to_string(row.tokens_in),        std::to_string(row.tokens_out),
                                       std::to_string(row.tokens_cached),    usd(row.cost),
                                       std::to_string(row.errors),           std::to_string(row.cache_hits),
                                       usd(row.saved)};
      if (terminal)
        line.push_back(with_bar ? bar(by_requests ? static_cast<double>(row.requests) : row.cost, largest, 30) : "");
      return line;
    };
    for (const auto& row : report.rows) table.add(cells(row, true));
    if (options->by != "sku") table.add(cells(report.total, false));
    table.print();
    if (terminal && report.daily_cost.size() > 1)
      std::cout << "\ndaily cost " << report.daily_cost.front().first << " " << sparkline(report.daily_cost) << " "
                << report.daily_cost.back().first << '\n';
  });
}

}  // namespace weir::cli
