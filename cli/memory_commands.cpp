// `weir memory list|show|delete --user U`: what the memory tools keep for an
// end user (core/store/memory_repository.hpp), across every gateway.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/memory_repository.hpp"

namespace weir::cli {

using json = nlohmann::json;

namespace {

MemoryScope every_gateway(const std::string& user) { return MemoryScope{user, std::nullopt, true}; }

std::string gateway_label(Database& database, const Memory& memory) {
  if (!memory.gateway_id) return "(shared)";
  try {
    return GatewayRepository(database).resolve(*memory.gateway_id).name;
  } catch (const Error&) {
    return *memory.gateway_id;  // a deleted gateway: its id
  }
}

}  // namespace

void register_memory_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("memory", "Per-user memories the memory tools keep (builtin_tools: memory)");
  group->require_subcommand(1);

  {
    struct Options {
      std::string user, query;
      int limit = 100;
    };
    auto options = std::make_shared<Options>();
    auto* list = group->add_subcommand("list", "List a user's live memories, newest first");
    list->add_option("--user", options->user, "The end user")->required()->type_name(value_name::user);
    list->add_option("--query", options->query, "Only memories holding every word");
    list->add_option("--limit", options->limit, "At most this many (default 100)")->check(CLI::Range(1, 10000));
    list->callback([&context, options] {
      auto& database = context.database();
      auto memories = MemoryRepository(database).search(every_gateway(options->user), options->query, options->limit);
      if (context.options.json) {
        auto array = json::array();
        for (const auto& memory : memories) array.push_back(memory.to_json());
        print_json(array);
        return;
      }
      if (memories.empty()) {
        print_notice("no memories for user '" + options->user + "'", context.options.quiet);
        return;
      }
      Table table({"ID", "GATEWAY", "SAVED", "EXPIRES", "TEXT"});
      for (const auto& memory : memories) {
        auto text = memory.text.size() > 60 ? memory.text.substr(0, 57) + "..." : memory.text;
        for (auto& character : text)
          if (character == '\n') character = ' ';
        table.add({std::to_string(memory.id), gateway_label(database, memory), format_timestamp(memory.created_at),
                   format_timestamp(memory.expires_at), text});
      }
      table.print();
    });
  }

  auto add_by_id = [&](const char* name, const char* help, auto action) {
    struct Options {
      std::string user;
      int64_t id = 0;
    };
    auto options = std::make_shared<Options>();
    auto* command = group->add_subcommand(name, help);
    command->add_option("id", options->id, "The memory's id (see `weir memory list`)")->required();
    command->add_option("--user", options->user, "The end user it belongs to")->required()->type_name(value_name::user);
    command->callback([&context, options, action] { action(context, options->user, options->id); });
  };

  add_by_id("show", "Show one memory", [](CommandContext& ctx, const std::string& user, int64_t id) {
    auto& database = ctx.database();
    auto memory = MemoryRepository(database).find(every_gateway(user), id);
    if (!memory)
      throw Error(ErrorKind::not_found, "user '" + user + "' has no memory " + std::to_string(id) +
                                            " (or it expired); see `weir memory list --user " + user + "`");
    auto object = memory->to_json();
    object["gateway"] = gateway_label(database, *memory);
    if (ctx.options.json) {
      print_json(object);
      return;
    }
    for (const auto& [key, value] : object.items())
      std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << '\n';
  });

  add_by_id("delete", "Forget one memory", [](CommandContext& ctx, const std::string& user, int64_t id) {
    if (!MemoryRepository(ctx.database()).remove(every_gateway(user), id))
      throw Error(ErrorKind::not_found, "user '" + user + "' has no memory " + std::to_string(id) +
                                            "; see `weir memory list --user " + user + "`");
    if (ctx.options.json)
      print_json({{"deleted", id}});
    else
      std::cout << "deleted memory " << id << '\n';
  });
}

}  // namespace weir::cli
