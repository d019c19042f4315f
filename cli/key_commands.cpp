// `weir key create|list|revoke` — API keys of `weir serve`.
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/key_repository.hpp"
#include "mcp/serve_config.hpp"

namespace weir::cli {

namespace {

struct CreateOptions {
  std::string name;
  bool is_public = false;
  std::string expires;
  int rpm = 0;
  bool rpm_given = false;  // --rpm 0 is refused, not taken for "unlimited"
  std::string toolsets;    // comma-separated
  // --limit-* and --budget-* as given, by block and field (the gateway schema's rows).
  std::map<std::pair<std::string, std::string>, std::string> blocks;
};

// The key's `limits` and `budget` blocks from the flags of the gateway
// schema's rows (KeyRepository checks them with the same rows).
nlohmann::json limit_blocks(const CreateOptions& options) {
  nlohmann::json blocks = nlohmann::json::object();
  for (const auto& [where, text] : options.blocks) {
    const auto& [block, field] = where;
    const auto* row = find_field_schema(block + "." + field);
    nlohmann::json value = text;
    if (row && (row->type == FieldType::integer || row->type == FieldType::number)) {
      value = nlohmann::json::parse(text, nullptr, false);
      if (value.is_discarded() || !value.is_number())
        throw Error(ErrorKind::usage, "--" + std::string(row->flag.substr(2)) + " takes a number, got '" + text + "'");
    }
    blocks[block][field] = value;
  }
  return blocks.empty() ? nlohmann::json(nullptr) : blocks;
}

}  // namespace

void register_key_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("key", "API keys for `weir serve` (once one exists, every request needs one)");
  group->require_subcommand(1);

  auto create_options = std::make_shared<CreateOptions>();
  auto* create = group->add_subcommand("create", "Make a key; it is printed once and only its hash is kept");
  create->add_option("name", create_options->name, "A name for the key (who or what uses it)")->required();
  create->add_flag("--public", create_options->is_public,
                   "A public key: may only name a gateway by its full id, and gets no tools");
  create->add_option("--expires", create_options->expires, "Lifetime such as 30d, 12h, 90m (default: never expires)");
  create->add_option("--rpm", create_options->rpm, "Requests per minute allowed, 1..100000 (default: unlimited)")
      ->each([create_options](const std::string&) { create_options->rpm_given = true; });
  for (auto [block, rows] : {std::pair{"limits", &limits_schema()}, std::pair{"budget", &budget_schema()}})
    for (const auto& row : *rows)
      create
          ->add_option_function<std::string>(
              std::string(row.flag),
              [create_options, block, name = std::string(row.name)](const std::string& text) {
                create_options->blocks[{block, name}] = text;
              },
              help_text(row) + " (for a public key: per remote address)")
          ->type_name(row.type == FieldType::choice ? "TEXT" : row.type == FieldType::integer ? "INT" : "NUMBER");
  create->add_option("--toolsets", create_options->toolsets,
                     "The only tool sets it may use at /v1/mcp/toolsets/NAME, comma-separated (default: every one)")
      ->type_name("TOOLSET,...");
  create->callback([&context, create_options] {
    std::optional<int> rpm;
    if (create_options->rpm_given) rpm = create_options->rpm;
    std::optional<int64_t> expires_at;
    if (!create_options->expires.empty())
      expires_at = now_milliseconds() + parse_duration_milliseconds(create_options->expires);
    auto made = KeyRepository(context.database())
                    .create(create_options->name, create_options->is_public, rpm, expires_at,
                            limit_blocks(*create_options), mcp::split_list(create_options->toolsets));
    if (context.options.json) {
      auto document = made.key.to_json();
      document["key"] = made.text;
      print_json(document);
      return;
    }
    std::cout << made.text << '\n';
    print_notice("key '" + made.key.name + "' created (" + (made.key.is_public ? "public" : "private") +
                     "); store it now: weir keeps only its hash and cannot show it again",
                 context.options.quiet);
  });

  group->add_subcommand("list", "List keys (names, kinds, limits; never the keys)")->callback([&context] {
    auto keys = KeyRepository(context.database()).list();
    if (context.options.json) {
      auto list = nlohmann::json::array();
      for (const auto& key : keys) list.push_back(key.to_json());
      print_json(list);
      return;
    }
    if (keys.empty()) {
      print_notice("no keys: `weir serve` accepts requests from loopback without one", context.options.quiet);
      return;
    }
    auto now = now_milliseconds();
    Table table({"NAME", "KIND", "PREFIX", "RPM", "EXPIRES", "TOOL SETS", "CREATED"});
    for (const auto& key : keys) {
      std::string toolsets;
      for (const auto& name : key.toolsets) toolsets += (toolsets.empty() ? "" : ",") + name;
      table.add({key.name, key.is_public ? "public" : "private", key.prefix + "…",
                 key.rpm ? std::to_string(*key.rpm) : "-",
                 key.expires_at ? format_timestamp(*key.expires_at) + (key.expired(now) ? " (expired)" : "") : "never",
                 key.is_public ? "-" : toolsets.empty() ? "all" : toolsets, format_timestamp(key.created_at)});
    }
    table.print();
  });

  auto revoke_name = std::make_shared<std::string>();
  auto* revoke = group->add_subcommand("revoke", "Delete a key; requests using it are refused from the next one");
  revoke->add_option("name", *revoke_name, "The key's name")->required()->type_name(value_name::key);
  revoke->callback([&context, revoke_name] {
    KeyRepository(context.database()).revoke(*revoke_name);
    print_notice("key '" + *revoke_name + "' revoked", context.options.quiet);
  });
}

}  // namespace weir::cli
