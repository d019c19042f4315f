// `weir config get|set|unset|list|path` — the user's defaults file. What a
// key means and accepts is core's (core/config/user_config.hpp); this only
// reads, prints and saves.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/config/user_config.hpp"
#include "core/engine/chat_start.hpp"
#include "core/error.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir::cli {

namespace {

std::string choices_text(const ConfigKey& key) {
  if (key.choices.empty()) return "a gateway or @provider/model";
  std::string text;
  for (auto choice : key.choices) text += (text.empty() ? "" : "|") + std::string(choice);
  return text;
}

nlohmann::json key_json(const UserConfig& config, const ConfigKey& key) {
  auto value = config.get(key.name);
  nlohmann::json choices = nlohmann::json::array();
  for (auto choice : key.choices) choices.push_back(std::string(choice));
  return {{"key", std::string(key.name)},
          {"value", value ? nlohmann::json(*value) : key.fallback.empty() ? nlohmann::json() : nlohmann::json(std::string(key.fallback))},
          {"set", value.has_value()},
          {"default", key.fallback.empty() ? nlohmann::json() : nlohmann::json(std::string(key.fallback))},
          {"choices", choices},
          {"description", std::string(key.description)}};
}

}  // namespace

void register_config_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("config", "Your defaults: default gateway, output style, colour (weir config list)");
  group->require_subcommand(1);

  group->add_subcommand("path", "Print where the config file is (it may not exist yet)")->callback([&context] {
    const auto path = config_path(context.paths());
    if (context.options.json)
      print_json({{"path", path}});
    else
      std::cout << path << '\n';
  });

  group->add_subcommand("list", "Print every key: its value, whether it is set, what it accepts")->callback([&context] {
    auto& config = context.config();
    if (context.options.json) {
      auto keys = nlohmann::json::array();
      for (const auto& key : known_config_keys()) keys.push_back(key_json(config, key));
      print_json({{"path", config.path()}, {"keys", keys}});
      return;
    }
    Table table({"KEY", "VALUE", "FROM", "ACCEPTS"});
    for (const auto& key : known_config_keys()) {
      auto value = config.get(key.name);
      table.add({std::string(key.name), value ? *value : key.fallback.empty() ? "(none)" : std::string(key.fallback),
                 value ? "set" : "default", choices_text(key)});
    }
    table.print();
  });

  auto get_key = std::make_shared<std::string>();
  auto* get = group->add_subcommand("get", "Print a key's value (its default when not set)");
  get->add_option("key", *get_key, "The key (weir config list shows them)")->required();
  get->callback([&context, get_key] {
    auto& config = context.config();
    const auto& key = config_key(*get_key);
    auto value = config.value_or_fallback(key.name);
    if (context.options.json) {
      print_json(key_json(config, key));
      return;
    }
    if (value.empty())
      throw Error(ErrorKind::not_found, std::string(key.name) + " is not set; `weir config set " +
                                            std::string(key.name) + " VALUE` sets it");
    std::cout << value << '\n';
  });

  auto set_key = std::make_shared<std::string>();
  auto set_value = std::make_shared<std::string>();
  auto* set = group->add_subcommand("set", "Set a key (checked before the file is written)");
  set->add_option("key", *set_key, "The key (weir config list shows them)")->required();
  set->add_option("value", *set_value, "Its value")->required();
  set->callback([&context, set_key, set_value] {
    auto& config = context.config();
    const auto& key = config_key(*set_key);
    validate_config_value(key, *set_value);
    if (key.name == "default-gateway") {
      GatewayRepository gateways(context.database());
      check_default_gateway(gateways, *set_value);
    }
    config.set(key.name, *set_value);
    config.save();
    if (context.options.json)
      print_json(key_json(config, key));
    else
      std::cout << key.name << " = " << *set_value << '\n';
  });

  auto unset_key = std::make_shared<std::string>();
  auto* unset = group->add_subcommand("unset", "Remove a key (its default applies again)");
  unset->add_option("key", *unset_key, "The key (weir config list shows them)")->required();
  unset->callback([&context, unset_key] {
    auto& config = context.config();
    const auto& key = config_key(*unset_key);
    bool was_set = config.unset(key.name);
    if (was_set) config.save();
    if (context.options.json)
      print_json({{"key", std::string(key.name)}, {"unset", was_set}});
    else
      std::cout << key.name << (was_set ? " unset" : " was not set") << '\n';
  });
}

}  // namespace weir::cli
