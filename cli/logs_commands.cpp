// `weir logs [list] [--limit N] [filters]`, `weir logs show ID`, `logs export`, `logs prune`
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/request_log.hpp"
#include "core/store/key_repository.hpp"
#include "core/store/usage_report.hpp"

namespace weir::cli {

namespace {
std::string format_milliseconds(double milliseconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, milliseconds < 10 ? "%.1f ms" : "%.0f ms", milliseconds);
  return buffer;
}

std::string format_cost(double cost) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "$%.6f", cost);
  return buffer;
}

struct FilterOptions {
  std::string gateway, model, status, user, since;
  RequestFilter filter() const {
    if (!status.empty() && status != "ok" && status != "error" && status != "cancelled")
      throw Error(ErrorKind::usage, "--status takes ok, error or cancelled, got '" + status + "'");
    RequestFilter filter{gateway, model, status, user, 0, 0};
    if (!since.empty()) filter.since = parse_time_bound(since, now_milliseconds());
    return filter;
  }
};

void add_filter_options(CLI::App& command, const std::shared_ptr<FilterOptions>& options) {
  command.add_option("--gateway", options->gateway, "Only this gateway's requests (name or id)")
      ->type_name("GATEWAY");
  command.add_option("--model", options->model, "Only requests to this model")->type_name("MODEL");
  command.add_option("--status", options->status, "Only requests that ended so: ok, error or cancelled")
      ->type_name("STATUS");
  command.add_option("--user", options->user, "Only requests made for this user")->type_name("USER");
  command.add_option("--since", options->since, "Only requests since this long ago (1d, 12h) or this UTC date")
      ->type_name("TIME");
}

void list_logs(CommandContext& context, int limit, const FilterOptions& filters) {
  auto records = RequestLog(context.database()).list(filters.filter(), limit);
  if (context.options.json) {
    auto list = nlohmann::json::array();
    for (const auto& record : records) list.push_back(record.to_json());
    print_json(list);
    return;
  }
  if (records.empty()) {
    print_notice("no requests logged yet", context.options.quiet);
    return;
  }
  Table table({"ID", "TIME", "DOOR", "GATEWAY", "MODEL", "STATUS", "TOKENS", "COST", "LATENCY", "TTFT"});
  for (const auto& record : records)
    table.add({record.id, format_timestamp(record.created_at), record.front_door, record.gateway_name, record.model,
               record.status,
               std::to_string(record.prompt_tokens) + "/" + std::to_string(record.completion_tokens),
               format_cost(record.cost), format_milliseconds(record.latency_ms),
               record.time_to_first_token_ms ? format_milliseconds(*record.time_to_first_token_ms) : "-"});
  table.print();
}
}  // namespace

void register_logs_commands(CLI::App& app, CommandContext& context) {
  auto limit = std::make_shared<int>(20);
  auto filters = std::make_shared<FilterOptions>();
  auto* logs = app.add_subcommand("logs", "The request log: one row per inference");
  logs->add_option("--limit", *limit, "How many recent rows (default 20)")->check(CLI::Range(1, 100'000));
  add_filter_options(*logs, filters);
  auto* list = logs->add_subcommand("list", "Recent requests, newest first");
  list->add_option("--limit", *limit, "How many recent rows (default 20)")->check(CLI::Range(1, 100'000));
  add_filter_options(*list, filters);
  list->callback([&context, limit, filters] { list_logs(context, *limit, *filters); });

  auto* exported = logs->add_subcommand("export", "Every matching row as JSON Lines, oldest first (for a file)");
  add_filter_options(*exported, filters);
  exported->callback([&context, filters] {
    auto records = RequestLog(context.database()).list(filters->filter(), 0);
    for (auto row = records.rbegin(); row != records.rend(); ++row)
      std::cout << row->to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  });

  auto older_than = std::make_shared<std::string>();
  auto* prune = logs->add_subcommand("prune", "Delete the rows older than a duration");
  prune->add_option("--older-than", *older_than, "Rows older than this go (30d, 12h)")->required()->type_name("DURATION");
  prune->callback([&context, older_than] {
    auto removed = RequestLog(context.database()).prune(now_milliseconds() - parse_duration_milliseconds(*older_than));
    if (context.options.json) {
      print_json({{"removed", removed}});
      return;
    }
    print_notice("removed " + std::to_string(removed) + " request log row" + (removed == 1 ? "" : "s") +
                     " older than " + *older_than,
                 context.options.quiet);
  });

  auto id = std::make_shared<std::string>();
  auto* show = logs->add_subcommand("show", "One request in full");
  show->add_option("id", *id, "Request id, or any unique part of it (the last characters tell ids of one minute apart)")->required();
  show->callback([&context, id] {
    auto record = RequestLog(context.database()).get(*id);
    auto object = record.to_json();
    if (context.options.json) {
      print_json(object);
      return;
    }
    for (const auto& [key, value] : object.items())
      std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << '\n';
  });

  logs->callback([&context, logs, limit, filters] {
    if (logs->get_subcommands().empty()) list_logs(context, *limit, *filters);
  });
}

}  // namespace weir::cli
