// `weir gateway create|list|show|update|delete|export|apply`
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/value_names.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir::cli {

namespace {

enum class FlagValue { text, text_list, number, integer, path_list, boolean };

// One command-line flag per gateway field; create and update share them.
// A field "rag.KEY" is KEY of the nested `rag` block.
struct ConfigFlag {
  const char* flag;
  const char* field;
  FlagValue value;
  const char* help;
  const char* value_name = nullptr;  // for help and completion; the CLI11 default otherwise
};

constexpr ConfigFlag kConfigFlags[] = {
    {"--provider", "provider", FlagValue::text, "Provider name (see `weir provider list`)", value_name::provider},
    {"--model", "model", FlagValue::text, "Upstream model id"},
    {"--description", "description", FlagValue::text, "What the gateway is for"},
    {"--system", "system", FlagValue::text, "System instructions"},
    {"--system-file", "system_files", FlagValue::path_list, "File whose text is appended to the instructions",
     value_name::file},
    {"--system-url", "system_urls", FlagValue::text_list, "URL whose text is appended (cached 600 s)"},
    {"--prompt-template", "prompt_template", FlagValue::text, "Template for the user's message; must contain {prompt}"},
    {"--prefill", "prefill", FlagValue::text, "Start of every answer (sent as a trailing assistant message)"},
    {"--stop", "stop", FlagValue::text_list, "Stop sequence (repeatable)"},
    {"--temperature", "temperature", FlagValue::number, "Sampling temperature, 0..2"},
    {"--top-p", "top_p", FlagValue::number, "Nucleus sampling, 0..1"},
    {"--top-k", "top_k", FlagValue::integer, "Top-k sampling, 1..1000"},
    {"--presence-penalty", "presence_penalty", FlagValue::number, "-2..2"},
    {"--frequency-penalty", "frequency_penalty", FlagValue::number, "-2..2"},
    {"--seed", "seed", FlagValue::integer, "Sampling seed"},
    {"--max-tokens", "max_tokens", FlagValue::integer, "Longest answer in tokens"},
    {"--reasoning-effort", "reasoning_effort", FlagValue::text, "none | minimal | low | medium | high"},
    {"--verbosity", "verbosity", FlagValue::text, "low | medium | high"},
    {"--overridable", "overridable", FlagValue::text_list,
     "Fields a request may override (comma-separated or repeated)"},
    {"--max-context-tokens", "max_context_tokens", FlagValue::integer, "Context budget in tokens"},
    {"--on-overflow", "on_overflow", FlagValue::text, "error | truncate (drop the oldest messages)"},
    {"--tool-result-window", "tool_result_window", FlagValue::integer, "Keep only the last N tool results verbatim"},
    {"--collection", "rag.collections", FlagValue::text_list,
     "Collection to answer from (repeatable or comma-separated; replaces the list)", value_name::collection},
    {"--strategy", "rag.strategy", FlagValue::text,
     "plain | concatenate | user_rewrite | full_rewrite | query_function (default plain)"},
    {"--window", "rag.window", FlagValue::integer, "User messages read by concatenate and the rewrites (default 3)"},
    {"--top", "rag.top", FlagValue::integer, "Documents retrieved, 1..128 (default 5)"},
    {"--min-score", "rag.min_score", FlagValue::number, "Lowest document score, 0.01..0.99 (default 0.2)"},
    {"--reranker", "rag.reranker", FlagValue::text, "none | rrf | lexical (default lexical)"},
    {"--include-references", "rag.include_references", FlagValue::boolean,
     "Also retrieve the documents sharing a match's ref"},
    {"--rewrite-model", "rag.rewrite_model", FlagValue::text,
     "PROVIDER/MODEL for user_rewrite and full_rewrite (default: the gateway's model)"},
    {"--max-tool-iterations", "rag.max_tool_iterations", FlagValue::integer,
     "query_function: rounds of server-side searches before giving up (default 8)"},
};

struct ConfigFlagValues {
  std::map<std::string, std::vector<std::string>> values;  // field -> raw values given
  std::vector<std::string> unset;
};

void add_config_flags(CLI::App* command, ConfigFlagValues& values) {
  for (const auto& flag : kConfigFlags) {
    auto& target = values.values[flag.field];
    if (flag.value == FlagValue::boolean) {
      command->add_flag_callback(flag.flag, [&target] { target.push_back("true"); }, flag.help);
      continue;
    }
    bool list = flag.value == FlagValue::text_list || flag.value == FlagValue::path_list;
    auto* option = command->add_option(flag.flag, target, flag.help);
    // The values are kept as text until the field is validated; help still
    // names the type a user must give, as CLI11 does for typed options.
    if (flag.value_name != nullptr)
      option->type_name(flag.value_name);
    else if (flag.value == FlagValue::number)
      option->type_name("FLOAT");
    else if (flag.value == FlagValue::integer)
      option->type_name("INT");
    if (list) {
      option->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      if (std::string(flag.field) == "overridable" || std::string(flag.field) == "rag.collections")
        option->delimiter(',');
    } else {
      option->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
  }
}

// The JSON slot of a field: top level, or inside the `rag` block for "rag.KEY".
json& field_slot(json& changes, const std::string& field) {
  const std::string prefix = "rag.";
  if (field.rfind(prefix, 0) != 0) return changes[field];
  if (!changes.contains("rag") || !changes["rag"].is_object()) changes["rag"] = json::object();
  return changes["rag"][field.substr(prefix.size())];
}

bool has_field(const json& changes, const std::string& field) {
  const std::string prefix = "rag.";
  if (field.rfind(prefix, 0) != 0) return changes.contains(field);
  return changes.contains("rag") && changes["rag"].is_object() && changes["rag"].contains(field.substr(prefix.size()));
}

// Turns the flags that were given into gateway config fields.
json config_changes(const ConfigFlagValues& values) {
  json changes = json::object();
  for (const auto& flag : kConfigFlags) {
    const auto& given = values.values.at(flag.field);
    if (given.empty()) continue;
    const std::string& last = given.back();
    switch (flag.value) {
      case FlagValue::boolean:
        field_slot(changes, flag.field) = true;
        break;
      case FlagValue::text:
        field_slot(changes, flag.field) = last;
        break;
      case FlagValue::text_list:
        field_slot(changes, flag.field) = given;
        break;
      case FlagValue::path_list: {
        json paths = json::array();
        for (const auto& path : given) {
          std::error_code error;
          auto absolute = std::filesystem::absolute(path, error);
          if (error || !std::filesystem::is_regular_file(absolute, error))
            throw Error(ErrorKind::usage, std::string(flag.flag) + " " + path + ": no such file");
          paths.push_back(absolute.lexically_normal().string());
        }
        field_slot(changes, flag.field) = paths;
        break;
      }
      case FlagValue::number:
      case FlagValue::integer: {
        size_t used = 0;
        try {
          if (flag.value == FlagValue::integer) {
            long long number = std::stoll(last, &used);
            if (used == last.size()) field_slot(changes, flag.field) = number;
          } else {
            double number = std::stod(last, &used);
            if (used == last.size()) field_slot(changes, flag.field) = number;
          }
        } catch (const std::exception&) {
          used = 0;
        }
        if (!has_field(changes, flag.field))
          throw Error(ErrorKind::usage, std::string(flag.flag) + " takes " +
                                            (flag.value == FlagValue::integer ? "an integer" : "a number") +
                                            ", got '" + last + "'");
        break;
      }
    }
  }
  for (const auto& field : values.unset) {
    if (has_field(changes, field) || (field == "rag" && changes.contains("rag")))
      throw Error(ErrorKind::usage, "'" + field + "' is both set and unset in one update");
    field_slot(changes, field) = nullptr;
  }
  return changes;
}

// A typo in a collection name should fail now, not at the first chat.
void check_collections(CommandContext& context, const GatewayConfig& config) {
  if (auto rag = config.rag())
    for (const auto& name : rag->collections) CollectionRepository(context.database()).get(name);
}

std::string read_input(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw Error(ErrorKind::usage, "cannot read " + path + ": no such file or not readable");
    buffer << file.rdbuf();
  }
  return buffer.str();
}

void print_gateway(const Gateway& gateway, bool as_json) {
  auto object = gateway.to_json();
  if (as_json) {
    print_json(object);
    return;
  }
  // Identity first, then the fields in schema order, then timestamps.
  std::vector<std::string> keys = {"id", "name", "slug"};
  for (auto field : GatewayConfig::field_names()) keys.emplace_back(field);
  keys.insert(keys.end(), {"created_at", "updated_at"});
  for (const auto& key : keys) {
    if (!object.contains(key)) continue;
    const auto& value = object[key];
    std::string text;
    if (value.is_string())
      text = value.get<std::string>();
    else if (value.is_null())
      text = "(upstream default)";
    else
      text = value.dump();
    std::cout << key << ": " << text << '\n';
  }
}

}  // namespace

void register_gateway_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("gateway", "Saved gateways: a model plus instructions, sampling and limits");
  group->require_subcommand(1);

  // create
  {
    auto name = std::make_shared<std::string>();
    auto values = std::make_shared<ConfigFlagValues>();
    auto* create = group->add_subcommand("create", "Create a gateway");
    create->add_option("name", *name, "Gateway name")->required();
    add_config_flags(create, *values);
    create->callback([&context, name, values] {
      auto config = GatewayConfig::from_json(config_changes(*values));
      check_collections(context, config);
      auto gateway = GatewayRepository(context.database()).create(*name, config);
      if (context.options.json)
        print_json(gateway.to_json());
      else
        std::cout << "created gateway " << gateway.name << " (" << gateway.slug() << ", id " << gateway.id << ")\n";
    });
  }

  group->add_subcommand("list", "List gateways")->callback([&context] {
    auto gateways = GatewayRepository(context.database()).list();
    if (context.options.json) {
      auto list = json::array();
      for (const auto& gateway : gateways)
        list.push_back({{"id", gateway.id},
                        {"name", gateway.name},
                        {"slug", gateway.slug()},
                        {"provider", gateway.config.provider()},
                        {"model", gateway.config.model()}});
      print_json(list);
      return;
    }
    if (gateways.empty()) {
      print_notice("no gateways yet; create one with `weir gateway create NAME --provider P --model M`",
                   context.options.quiet);
      return;
    }
    Table table({"NAME", "SLUG", "PROVIDER", "MODEL", "ID"});
    for (const auto& gateway : gateways)
      table.add({gateway.name, gateway.slug(), gateway.config.provider(), gateway.config.model(), gateway.id});
    table.print();
  });

  {
    auto reference = std::make_shared<std::string>();
    auto* show = group->add_subcommand("show", "Show a gateway's effective configuration, defaults included");
    show->add_option("gateway", *reference, "Gateway id, slug or name")->required()->type_name(value_name::gateway);
    show->callback([&context, reference] {
      print_gateway(GatewayRepository(context.database()).resolve(*reference), context.options.json);
    });
  }

  // update
  {
    auto reference = std::make_shared<std::string>();
    auto rename = std::make_shared<std::string>();
    auto values = std::make_shared<ConfigFlagValues>();
    auto* update = group->add_subcommand("update", "Change some fields of a gateway");
    update->add_option("gateway", *reference, "Gateway id, slug or name")->required()->type_name(value_name::gateway);
    update->add_option("--name", *rename, "Rename the gateway");
    add_config_flags(update, *values);
    update->add_option("--unset", values->unset, "Remove a field so its default applies (repeatable; rag.KEY for one key of the rag block)");
    update->callback([&context, reference, rename, values] {
      GatewayRepository gateways(context.database());
      auto gateway = gateways.resolve(*reference);
      auto changes = config_changes(*values);
      if (changes.empty() && rename->empty())
        throw Error(ErrorKind::usage, "nothing to update; pass the flags to change (see `weir gateway update --help`)");
      gateway.config = gateway.config.merged(changes);
      check_collections(context, gateway.config);
      if (!rename->empty()) gateway.name = *rename;
      gateways.update(gateway);
      if (context.options.json)
        print_json(gateway.to_json());
      else
        std::cout << "updated gateway " << gateway.name << " (" << gateway.slug() << ")\n";
    });
  }

  {
    auto reference = std::make_shared<std::string>();
    auto* remove = group->add_subcommand("delete", "Delete a gateway");
    remove->add_option("gateway", *reference, "Gateway id, slug or name")->required()->type_name(value_name::gateway);
    remove->callback([&context, reference] {
      GatewayRepository gateways(context.database());
      auto gateway = gateways.resolve(*reference);
      gateways.remove(gateway.id);
      if (context.options.json)
        print_json({{"deleted", gateway.id}, {"name", gateway.name}});
      else
        std::cout << "deleted gateway " << gateway.name << " (" << gateway.id << ")\n";
    });
  }

  {
    auto reference = std::make_shared<std::string>();
    auto* exporter = group->add_subcommand("export", "Print a gateway as a JSON file for `gateway apply`");
    exporter->add_option("gateway", *reference, "Gateway id, slug or name")->required()->type_name(value_name::gateway);
    exporter->callback([&context, reference] {
      print_json(GatewayRepository(context.database()).resolve(*reference).to_export());
    });
  }

  {
    auto file = std::make_shared<std::string>();
    auto* apply = group->add_subcommand("apply", "Create or update a gateway from a JSON file (as export writes)");
    apply->add_option("-f,--file", *file, "The file, or - for standard input")->required()->type_name(value_name::file);
    apply->callback([&context, file] {
      auto text = read_input(*file);
      auto document = json::parse(text, nullptr, false);
      if (document.is_discarded())
        throw Error(ErrorKind::usage, (*file == "-" ? std::string("standard input") : *file) +
                                          " is not valid JSON; nothing was changed");
      if (document.is_object() && document.contains("rag")) {  // collections must exist before anything is written
        json fields = document;
        fields.erase("id");
        fields.erase("name");
        check_collections(context, GatewayConfig::from_json(fields));
      }
      auto [gateway, created] = GatewayRepository(context.database()).apply(document);
      if (context.options.json)
        print_json(gateway.to_json());
      else
        std::cout << (created ? "created" : "updated") << " gateway " << gateway.name << " (" << gateway.slug()
                  << ")\n";
    });
  }
}

}  // namespace weir::cli
