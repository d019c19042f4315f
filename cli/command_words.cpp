#include "cli/command_words.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"

namespace weir::cli {

namespace {

// Hidden commands (`__complete`, `__man-page`) are in no group: never
// suggested, never listed.
std::vector<const CLI::App*> visible_commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* command) { return !command->get_group().empty(); });
}

const CLI::App* command_named(const CLI::App& app, const std::string& word) {
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
    if (command->check_name(word)) return command;
  return nullptr;
}

// An option word that takes the next word as its value (`--home DIR`,
// `--limit 5`), looked up in the command and the groups above it (options
// fall through to their parents).
bool takes_next_word(const CLI::App& app, std::string_view word) {
  if (word.find('=') != std::string_view::npos || word.size() < 2) return false;
  if (word[1] != '-' && word.size() > 2) return false;  // -ovalue, or short flags together
  for (const CLI::App* level = &app; level; level = level->get_parent())
    if (const CLI::Option* option = level->get_option_no_throw(std::string(word)))
      return option->get_expected_max() > 0;
  return false;
}

bool has_positionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* option) { return option->get_positional(); }).empty();
}

std::string command_path(const std::vector<std::string>& words) {
  std::string path = "weir";
  for (const auto& word : words) path += " " + word;
  return path;
}

std::string short_usage(const CLI::App& group, const std::vector<std::string>& words) {
  auto path = command_path(words);
  std::string usage = "usage: " + path + (words.empty() ? " [--home DIR] [--json] [-q]" : "") + " COMMAND ...\n\n";
  usage += words.empty() ? "commands:\n" : "commands of " + path + ":\n";
  auto commands = visible_commands(group);
  size_t width = 0;
  for (const auto* command : commands) width = std::max(width, command->get_name().size());
  for (const auto* command : commands)
    usage += "  " + command->get_name() + std::string(width - command->get_name().size() + 2, ' ') +
             command->get_description() + "\n";
  usage += "\n`" + path + " COMMAND --help` tells more about one of them.\n";
  return usage;
}

}  // namespace

void give_each_option_one_value(CLI::App& app) {
  for (CLI::Option* option : app.get_options([](CLI::Option* candidate) {
         return !candidate->get_positional() && candidate->get_expected_max() > 1;
       }))
    option->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) give_each_option_one_value(*command);
}

std::optional<std::string> check_command_words(const CLI::App& app, int argc, char** argv) {
  const CLI::App* current = &app;
  std::vector<std::string> words;  // the commands walked so far
  for (int index = 1; index < argc; ++index) {
    std::string_view word = argv[index];
    if (word == "-h" || word == "--help" || word == "--version") return std::nullopt;
    if (!word.empty() && word.front() == '-') {
      if (takes_next_word(*current, word)) ++index;  // its value
      continue;
    }
    if (word.empty()) return std::nullopt;
    if (const auto* command = command_named(*current, std::string(word))) {
      current = command;
      words.emplace_back(word);
      continue;
    }
    // A word a group with no arguments of its own cannot take: a command name gone wrong.
    if (visible_commands(*current).empty() || has_positionals(*current)) return std::nullopt;
    std::vector<std::string> names;
    for (const auto* command : visible_commands(*current)) names.push_back(command->get_name());
    auto close = closest_names(std::string(word), names);
    std::string message = "unknown command '" + std::string(word) + "'";
    if (!words.empty()) message += " for `" + command_path(words) + "`";
    if (!close.empty()) {
      message += "; did you mean `" + command_path(words) + " " + close[0] + "`";
      for (size_t other = 1; other < close.size(); ++other) message += (other + 1 == close.size() ? " or `" : ", `") + close[other] + "`";
      message += "?";
    } else {
      message += "; `" + command_path(words) + " --help` lists the commands";
    }
    throw Error(ErrorKind::usage, message);
  }
  if (current->get_require_subcommand_min() > 0) return short_usage(*current, words);
  return std::nullopt;
}

}  // namespace weir::cli
