// `weir cache stats|clear [GATEWAY]` — gateways' response caches
// (core/store/response_cache_repository.hpp): what they hold and saved, and
// emptying them.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/response_cache_repository.hpp"

namespace weir::cli {

namespace {

std::string usd(double amount) {
  char text[32];
  std::snprintf(text, sizeof text, "$%.4f", amount);
  return text;
}

// The gateway's id, or "" (every gateway) when none was named.
std::string gateway_id_of(CommandContext& context, const std::string& reference) {
  if (reference.empty()) return {};
  return GatewayRepository(context.database()).resolve(reference).id;
}

}  // namespace

void register_cache_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("cache", "Response caches of gateways: hits, money saved, clearing");
  group->require_subcommand(1);

  auto stats_gateway = std::make_shared<std::string>();
  auto* stats = group->add_subcommand("stats", "Entries, hits, misses and USD saved per gateway with a cache");
  stats->add_option("gateway", *stats_gateway, "Only this gateway (id, slug or name)");
  stats->callback([&context, stats_gateway] {
    auto rows = ResponseCacheRepository(context.database())
                    .statistics(gateway_id_of(context, *stats_gateway), now_milliseconds());
    if (context.options.json) {
      auto list = nlohmann::json::array();
      for (const auto& row : rows) list.push_back(row.to_json());
      print_json(list);
      return;
    }
    if (rows.empty()) {
      print_notice("no gateway has a cache: turn one on with `weir gateway update G --cache exact`",
                   context.options.quiet);
      return;
    }
    Table table({"GATEWAY", "ENTRIES", "HITS", "MISSES", "SAVED"});
    for (const auto& row : rows)
      table.add({row.gateway_name, std::to_string(row.entries), std::to_string(row.hits), std::to_string(row.misses),
                 usd(row.saved)});
    table.print();
  });

  auto clear_gateway = std::make_shared<std::string>();
  auto* clear = group->add_subcommand("clear", "Delete the stored answers of one gateway, or of every gateway");
  clear->add_option("gateway", *clear_gateway, "Only this gateway (id, slug or name)");
  clear->callback([&context, clear_gateway] {
    auto id = gateway_id_of(context, *clear_gateway);
    auto removed = ResponseCacheRepository(context.database()).clear(id);
    if (context.options.json) {
      print_json({{"removed", removed}});
      return;
    }
    std::cout << "removed " << removed << (removed == 1 ? " stored answer" : " stored answers") << '\n';
  });
}

}  // namespace weir::cli
