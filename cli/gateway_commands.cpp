// `weir gateway create|list|show|update|delete|export|apply|history|diff|rollback`
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/json_argument.hpp"
#include "cli/value_names.hpp"
#include "cli/output.hpp"
#include "core/json_input.hpp"
#include "core/error.hpp"
#include "core/gateway/function_fields.hpp"
#include "core/gateway/config_schema.hpp"
#include "core/gateway/config_diff.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/gateway_revision_repository.hpp"

namespace weir::cli {

namespace {

// The flags of `gateway create` and `gateway update` come from the schema
// table (core/gateway/config_schema.hpp): one flag per field that names one,
// with its help, range, choices and default.
struct ConfigFlagValues {
  std::map<std::string, std::vector<std::string>> values;  // field path ("rag.top") -> raw values given
  std::vector<std::string> unset;
};

std::string value_name_of(const FieldSchema& field) {
  if (!field.value_name.empty()) return std::string(field.value_name);
  switch (field.type) {
    case FieldType::number:
      return "FLOAT";
    case FieldType::integer:
      return "INT";
    case FieldType::boolean:
      return "TEXT:{true,false}";
    case FieldType::choice: {
      // "TEXT:{a,b}" is how CLI11 describes a choice; completion offers them.
      std::string choices;
      for (auto choice : *field.choices) choices += (choices.empty() ? "" : ",") + std::string(choice);
      return "TEXT:{" + choices + "}";
    }
    default:
      return "TEXT";
  }
}

void add_config_flags(CLI::App* command, ConfigFlagValues& values) {
  for (const auto& [path, field] : leaf_fields()) {
    if (field->flag.empty()) continue;
    auto& target = values.values[path];
    std::string flag(field->flag);
    auto help = help_text(*field);
    if (field->flag_style == FlagStyle::switch_on) {
      command->add_flag_callback(flag, [&target] { target.push_back("true"); }, help);
      continue;
    }
    // The values are kept as text until the field is validated; help still
    // names the type a user must give, as CLI11 does for typed options.
    auto* option = command->add_option(flag, target, help);
    option->type_name(value_name_of(*field));
    if (field->flag_style == FlagStyle::single) {
      option->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    } else {
      option->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      if (field->flag_style == FlagStyle::comma_separated) option->delimiter(',');
    }
  }
}

// The JSON slot of a field path: top level, or inside its block for "BLOCK.KEY".
json& field_slot(json& changes, const std::string& path) {
  auto dot = path.find('.');
  if (dot == std::string::npos) return changes[path];
  auto block = path.substr(0, dot);
  if (!changes.contains(block) || !changes[block].is_object()) changes[block] = json::object();
  return changes[block][path.substr(dot + 1)];
}

bool has_field(const json& changes, const std::string& path) {
  auto dot = path.find('.');
  if (dot == std::string::npos) return changes.contains(path);
  auto block = path.substr(0, dot);
  return changes.contains(block) && changes[block].is_object() && changes[block].contains(path.substr(dot + 1));
}

json flag_value(const FieldSchema& field, const std::vector<std::string>& given) {
  const std::string& last = given.back();
  if (field.flag_style == FlagStyle::switch_on) return true;
  if (field.flag_style == FlagStyle::file_paths) {
    json paths = json::array();
    for (const auto& path : given) {
      std::error_code error;
      auto absolute = std::filesystem::absolute(path, error);
      if (error || !std::filesystem::is_regular_file(absolute, error))
        throw Error(ErrorKind::usage, std::string(field.flag) + " " + path + ": no such file");
      paths.push_back(absolute.lexically_normal().string());
    }
    return paths;
  }
  if (field.record_from_flag) {
    json records = json::array();
    for (const auto& text : given) records.push_back(field.record_from_flag(text));
    return records;
  }
  if (field.flag_style != FlagStyle::single) return given;
  if (field.type == FieldType::object) return json_argument(last, std::string(field.flag));
  if (field.type == FieldType::boolean) {
    if (last == "true" || last == "false") return last == "true";
    throw Error(ErrorKind::usage, std::string(field.flag) + " takes true or false, got '" + last + "'");
  }
  if (field.type != FieldType::number && field.type != FieldType::integer) return last;
  bool integer = field.type == FieldType::integer;
  try {
    size_t used = 0;
    json number = integer ? json(std::stoll(last, &used)) : json(std::stod(last, &used));
    if (used == last.size()) return number;
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::usage, std::string(field.flag) + " takes " + (integer ? "an integer" : "a number") +
                                    ", got '" + last + "'");
}

// Turns the flags that were given into gateway config fields.
json config_changes(const ConfigFlagValues& values) {
  json changes = json::object();
  for (const auto& [path, field] : leaf_fields()) {
    auto given = values.values.find(path);
    if (given == values.values.end() || given->second.empty()) continue;
    field_slot(changes, path) = flag_value(*field, given->second);
  }
  for (const auto& path : values.unset) {
    if (!find_field_schema(path)) {
      std::vector<std::string> known;
      for (auto name : GatewayConfig::field_names()) known.emplace_back(name);
      for (const auto& leaf : leaf_fields()) known.push_back(leaf.path);
      auto close = closest_names(path, known);
      throw Error(ErrorKind::usage, "--unset " + path + ": no such gateway field" +
                                        (close.empty() ? std::string() : "; did you mean '" + close[0] + "'?"));
    }
    if (has_field(changes, path))
      throw Error(ErrorKind::usage, "'" + path + "' is both set and unset in one update");
    field_slot(changes, path) = nullptr;
  }
  return changes;
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
  auto object = with_tool_secrets_redacted(gateway.to_json());
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
      text = find_field_schema(key) ? std::string(unset_meaning(*find_field_schema(key))) : "(none)";
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
      auto read = read_json(text);
      if (!read.ok())
        throw Error(ErrorKind::usage, (*file == "-" ? std::string("standard input") : *file) +
                                          " is not valid JSON (" + read.problem->description +
                                          "); nothing was changed");
      const auto& document = read.value;
      auto [gateway, created] = GatewayRepository(context.database()).apply(document);
      if (context.options.json)
        print_json(gateway.to_json());
      else
        std::cout << (created ? "created" : "updated") << " gateway " << gateway.name << " (" << gateway.slug()
                  << ")\n";
    });
  }

  {
    auto reference = std::make_shared<std::string>();
    auto* history = group->add_subcommand("history", "List a gateway's revisions: every saved change, numbered");
    history->add_option("gateway", *reference, "Gateway id, slug or name")->required()->type_name(value_name::gateway);
    history->callback([&context, reference] {
      auto gateway = GatewayRepository(context.database()).resolve(*reference);
      auto revisions = GatewayRevisionRepository(context.database()).list(gateway.id);
      auto list = json::array();
      Table table({"REVISION", "TIME", "ACTION", "CHANGES"});
      json previous = json::object();
      std::string previous_name;
      for (const auto& revision : revisions) {
        auto changes = diff_configs(previous, revision.config);
        if (!previous_name.empty() && previous_name != revision.name)
          changes.insert(changes.begin(), {"name", ChangeKind::changed, previous_name, revision.name});
        json fields = json::array();
        std::string summary;
        for (const auto& change : changes) {
          fields.push_back(change.field);
          summary += (summary.empty() ? "" : ", ") + change.field;
        }
        if (revision.revision == 1 && previous_name.empty()) summary = "first revision: " + summary;
        if (changes.empty()) summary = "no change";
        list.push_back({{"revision", revision.revision},
                        {"time", format_timestamp(revision.created_at)},
                        {"action", revision.action},
                        {"name", revision.name},
                        {"changed", fields}});
        table.add({std::to_string(revision.revision), format_timestamp(revision.created_at), revision.action,
                   summary});
        previous = revision.config;
        previous_name = revision.name;
      }
      if (context.options.json)
        print_json(list);
      else
        table.print();
    });
  }

  {
    auto reference = std::make_shared<std::string>();
    auto from = std::make_shared<int64_t>(0);
    auto to = std::make_shared<int64_t>(0);
    auto* diff = group->add_subcommand("diff", "Show what changed between two revisions, field by field");
    diff->add_option("gateway", *reference, "Gateway id, slug or name")->required()->type_name(value_name::gateway);
    diff->add_option("from", *from, "Revision to compare from (see `weir gateway history`)")->required();
    diff->add_option("to", *to, "Revision to compare to (default: the current configuration)");
    diff->callback([&context, reference, from, to, diff] {
      auto gateway = GatewayRepository(context.database()).resolve(*reference);
      GatewayRevisionRepository revisions(context.database());
      auto before = revisions.get(gateway, *from);
      bool to_current = diff->get_option("to")->count() == 0;
      json after_config = gateway.config.fields();
      std::string after_name = gateway.name;
      if (!to_current) {
        auto after = revisions.get(gateway, *to);
        after_config = after.config;
        after_name = after.name;
      }
      auto changes = diff_configs(before.config, after_config);
      if (before.name != after_name) changes.insert(changes.begin(), {"name", ChangeKind::changed, before.name, after_name});
      if (context.options.json) {
        json list = json::array();
        for (const auto& change : changes) list.push_back(change_to_json(change));
        print_json({{"gateway", gateway.name},
                    {"from", *from},
                    {"to", to_current ? json("current") : json(*to)},
                    {"changes", list}});
        return;
      }
      if (changes.empty()) {
        print_notice("no differences", context.options.quiet);
        return;
      }
      for (const auto& change : changes) std::cout << describe_change(change) << '\n';
    });
  }

  {
    auto reference = std::make_shared<std::string>();
    auto revision = std::make_shared<int64_t>(0);
    auto* rollback = group->add_subcommand(
        "rollback", "Make an earlier revision's configuration current again (saved as a new revision)");
    rollback->add_option("gateway", *reference, "Gateway id, slug or name")->required()->type_name(value_name::gateway);
    rollback->add_option("revision", *revision, "Revision to restore (see `weir gateway history`)")->required();
    rollback->callback([&context, reference, revision] {
      GatewayRepository gateways(context.database());
      auto gateway = gateways.resolve(*reference);
      auto before = gateway.config.fields();
      auto recorded = gateways.rollback(gateway, *revision);
      auto changes = diff_configs(before, gateway.config.fields());
      if (context.options.json) {
        json list = json::array();
        for (const auto& change : changes) list.push_back(change_to_json(change));
        print_json({{"gateway", gateway.name}, {"restored", *revision}, {"revision", recorded}, {"changes", list}});
        return;
      }
      std::cout << "rolled back gateway " << gateway.name << " to revision " << *revision << " (saved as revision "
                << recorded << ")\n";
      if (changes.empty()) std::cout << "no fields changed\n";
      for (const auto& change : changes) std::cout << "  " << describe_change(change) << '\n';
    });
  }
}

}  // namespace weir::cli
