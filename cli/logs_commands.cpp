// `weir logs [list] [--limit N]` and `weir logs show ID`
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/request_log.hpp"

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

void list_logs(CommandContext& context, int limit) {
  auto records = RequestLog(context.database()).recent(limit);
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
  auto* logs = app.add_subcommand("logs", "The request log: one row per inference");
  logs->add_option("--limit", *limit, "How many recent rows (default 20)")->check(CLI::Range(1, 100'000));
  auto* list = logs->add_subcommand("list", "Recent requests, newest first");
  list->add_option("--limit", *limit, "How many recent rows (default 20)")->check(CLI::Range(1, 100'000));
  list->callback([&context, limit] { list_logs(context, *limit); });

  auto id = std::make_shared<std::string>();
  auto* show = logs->add_subcommand("show", "One request in full");
  show->add_option("id", *id, "Request id (or a unique prefix)")->required();
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

  logs->callback([&context, logs, limit] {
    if (logs->get_subcommands().empty()) list_logs(context, *limit);
  });
}

}  // namespace weir::cli
