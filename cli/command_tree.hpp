// CommandTree — the weir command line as data, read from the live CLI11 app.
//
// The completion scripts, the man page and the hidden `weir __command-tree`
// dump are all generated from this one reading of the definitions the binary
// parses with, so none of them can drift from it. Contract:
// - every visible subcommand is read, recursively; hidden ones (CLI11 group
//   "", e.g. `__complete`) are left out;
// - options keep CLI11's order; the help flag is marked `is_help` (it is the
//   same on every command, so the man page documents it once) and the root's
//   version flag `is_version`;
// - a value's completion comes from its value name (value_names.hpp) or, for
//   an IsMember check, its choices.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace weir::cli {

enum class ValueCompletion { none, choices, file, directory, gateway, collection, provider, session, key, toolset };

// What a shell completes for the value: a `weir __complete` kind
// ("gateways"...), "files", "directories", "choices" or "none".
const char* completion_word(ValueCompletion completion);

struct OptionSpec {
  std::vector<std::string> names;  // "-o", "--override"; for a positional, its name
  std::string value_name;          // "K", "GATEWAY"...; empty for a flag
  std::string description;
  std::vector<std::string> choices;
  ValueCompletion completion = ValueCompletion::none;
  bool positional = false;
  bool required = false;
  bool repeatable = false;
  bool comma_separated = false;
  bool is_help = false;
  bool is_version = false;  // the root's --version

  bool takes_value() const { return !value_name.empty(); }
  // "-o, --override KEY=VALUE" or "NAME..." for a repeatable positional.
  std::string synopsis() const;
};

struct CommandSpec {
  std::string name;               // "weir" for the root
  std::vector<std::string> path;  // {"gateway", "create"}; empty for the root
  std::string description;
  std::vector<OptionSpec> options;      // named options and flags
  std::vector<OptionSpec> positionals;  // in order
  std::vector<CommandSpec> subcommands;
  bool requires_subcommand = false;

  // "gateway create"; "" for the root.
  std::string path_text() const;
};

CommandSpec read_command_tree(const CLI::App& root);

// The hidden `weir __command-tree` dump that the man page test walks.
nlohmann::json command_tree_json(const CommandSpec& command);

}  // namespace weir::cli
