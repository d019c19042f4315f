#include "cli/command_tree.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "cli/value_names.hpp"

namespace weir::cli {

namespace {

ValueCompletion completion_for_value_name(const std::string& value_name) {
  static const std::map<std::string, ValueCompletion> kByName = {
      {value_name::gateway, ValueCompletion::gateway},       {value_name::target, ValueCompletion::gateway},
      {value_name::collection, ValueCompletion::collection}, {value_name::collections, ValueCompletion::collection},
      {value_name::provider, ValueCompletion::provider},     {value_name::session, ValueCompletion::session},
      {value_name::key, ValueCompletion::key},             {value_name::toolset, ValueCompletion::toolset},
      {value_name::file, ValueCompletion::file},             {value_name::path, ValueCompletion::file},
      {value_name::directory, ValueCompletion::directory},
  };
  auto found = kByName.find(value_name);
  return found == kByName.end() ? ValueCompletion::none : found->second;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// CLI11 reports a value as "TYPE" followed by ":DESCRIPTION" per check; an
// IsMember check describes itself as "{a,b,c}".
void read_value_type(const CLI::Option& option, OptionSpec& spec) {
  auto parts = split(option.get_type_name(), ':');
  spec.value_name = parts.front();
  for (size_t index = 1; index < parts.size(); ++index) {
    const auto& part = parts[index];
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}')
      for (auto& choice : split(part.substr(1, part.size() - 2), ',')) spec.choices.push_back(choice);
  }
  if (spec.value_name.empty()) spec.value_name = "VALUE";
}

OptionSpec read_option(const CLI::App& app, const CLI::Option& option) {
  OptionSpec spec;
  spec.description = option.get_description();
  spec.positional = option.get_positional();
  spec.required = option.get_required();
  spec.is_help = &option == app.get_help_ptr();
  spec.is_version = &option == app.get_version_ptr();
  if (spec.positional) {
    spec.names.push_back(option.get_name(true, false));
  } else {
    for (const auto& name : option.get_snames()) spec.names.push_back("-" + name);
    for (const auto& name : option.get_lnames()) spec.names.push_back("--" + name);
  }
  if (option.get_items_expected_max() > 0) {
    read_value_type(option, spec);
    spec.repeatable = option.get_items_expected_max() > 1 ||
                      option.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
    spec.comma_separated = option.get_delimiter() == ',' || spec.value_name == value_name::collections;
    spec.completion = !spec.choices.empty() ? ValueCompletion::choices : completion_for_value_name(spec.value_name);
  }
  return spec;
}

CommandSpec read_command(const CLI::App& app, std::vector<std::string> path) {
  CommandSpec spec;
  spec.name = path.empty() ? app.get_name() : path.back();
  spec.path = path;
  spec.description = app.get_description();
  spec.requires_subcommand = app.get_require_subcommand_min() > 0;
  for (const CLI::Option* option : app.get_options()) {
    auto read = read_option(app, *option);
    (read.positional ? spec.positionals : spec.options).push_back(std::move(read));
  }
  for (const CLI::App* subcommand : app.get_subcommands([](const CLI::App* candidate) {
         return !candidate->get_name().empty() && !candidate->get_group().empty();
       })) {
    auto sub_path = path;
    sub_path.push_back(subcommand->get_name());
    spec.subcommands.push_back(read_command(*subcommand, std::move(sub_path)));
  }
  return spec;
}

nlohmann::json option_json(const OptionSpec& option) {
  nlohmann::json json = {{"names", option.names},
                         {"description", option.description},
                         {"takes_value", option.takes_value()},
                         {"required", option.required},
                         {"repeatable", option.repeatable},
                         {"help", option.is_help},
                         {"version", option.is_version},
                         {"completion", completion_word(option.completion)}};
  if (option.takes_value()) json["value_name"] = option.value_name;
  if (!option.choices.empty()) json["choices"] = option.choices;
  return json;
}

}  // namespace

const char* completion_word(ValueCompletion completion) {
  switch (completion) {
    case ValueCompletion::none: return "none";
    case ValueCompletion::choices: return "choices";
    case ValueCompletion::file: return "files";
    case ValueCompletion::directory: return "directories";
    case ValueCompletion::gateway: return "gateways";
    case ValueCompletion::collection: return "collections";
    case ValueCompletion::provider: return "providers";
    case ValueCompletion::session: return "sessions";
    case ValueCompletion::key: return "keys";
    case ValueCompletion::toolset: return "toolsets";
  }
  return "none";
}

std::string OptionSpec::synopsis() const {
  std::string text;
  if (positional) {
    for (char character : names.front()) text += static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
    if (repeatable) text += "...";
    return text;
  }
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  if (takes_value()) text += " " + value_name;
  return text;
}

std::string CommandSpec::path_text() const {
  std::string text;
  for (const auto& word : path) text += (text.empty() ? "" : " ") + word;
  return text;
}

CommandSpec read_command_tree(const CLI::App& root) { return read_command(root, {}); }

nlohmann::json command_tree_json(const CommandSpec& command) {
  nlohmann::json json = {{"name", command.name},
                         {"path", command.path},
                         {"description", command.description},
                         {"requires_subcommand", command.requires_subcommand},
                         {"options", nlohmann::json::array()},
                         {"positionals", nlohmann::json::array()},
                         {"subcommands", nlohmann::json::array()}};
  for (const auto& option : command.options) json["options"].push_back(option_json(option));
  for (const auto& positional : command.positionals) json["positionals"].push_back(option_json(positional));
  for (const auto& subcommand : command.subcommands) json["subcommands"].push_back(command_tree_json(subcommand));
  return json;
}

}  // namespace weir::cli
