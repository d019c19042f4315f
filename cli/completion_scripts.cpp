#include "cli/completion_scripts.hpp"

#include <sstream>

namespace weir::cli::completion_detail {

std::string value_word(const OptionSpec& option) {
  if (!option.takes_value()) return "";
  if (option.completion == ValueCompletion::choices) {
    std::string word = "choices:";
    for (size_t index = 0; index < option.choices.size(); ++index) word += (index ? "," : "") + option.choices[index];
    return word;
  }
  std::string word = completion_word(option.completion);
  bool named = option.completion == ValueCompletion::gateway || option.completion == ValueCompletion::collection ||
               option.completion == ValueCompletion::provider || option.completion == ValueCompletion::session ||
               option.completion == ValueCompletion::key || option.completion == ValueCompletion::toolset;
  if (named && option.comma_separated) word += ",";
  return word;
}

std::vector<const OptionSpec*> global_options(const CommandSpec& root) {
  std::vector<const OptionSpec*> options;
  for (const auto& option : root.options)
    if (!option.is_help && !option.is_version) options.push_back(&option);
  return options;
}

std::vector<const OptionSpec*> offered_options(const CommandSpec& root, const CommandSpec& command) {
  std::vector<const OptionSpec*> options;
  for (const auto& option : command.options) options.push_back(&option);
  if (&command != &root)
    for (const auto* option : global_options(root)) options.push_back(option);
  return options;
}

std::vector<std::string> positional_words(const CommandSpec& command) {
  std::vector<std::string> words;
  for (const auto& positional : command.positionals)
    words.push_back(value_word(positional) + (positional.repeatable ? "..." : ""));
  return words;
}

std::string single_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char character : text) quoted += character == '\'' ? std::string("'\\''") : std::string(1, character);
  return quoted + "'";
}

std::string summary(const std::string& description) { return description.substr(0, description.find('\n')); }

std::string value_kind_functions(const CommandSpec& root, bool zsh_patterns) {
  const char* open = zsh_patterns ? "(" : "";
  std::ostringstream script;
  script << "# Sets _weir_kind to what the value of option \"$2\" of command \"$1\" takes.\n"
            "_weir_value() {\n  case \"$1 $2\" in\n";
  for_each_command(root, [&](const CommandSpec& command) {
    if (&command == &root) return;
    for (const auto& option : command.options) {
      if (!option.takes_value()) continue;
      for (const auto& name : option.names)
        script << "  " << open << single_quoted(command.path_text() + " " + name) << ") _weir_kind="
               << single_quoted(value_word(option)) << " ;;\n";
    }
  });
  script << "  " << open << "*) _weir_kind='' ;;\n  esac\n}\n\n";

  script << "# Global options are accepted after any command too.\n"
            "_weir_global_value() {\n  case $1 in\n";
  for (const auto* option : global_options(root)) {
    if (!option->takes_value()) continue;
    for (const auto& name : option->names)
      script << "  " << open << single_quoted(name) << ") _weir_kind=" << single_quoted(value_word(*option)) << " ;;\n";
  }
  script << "  " << open << "*) _weir_kind='' ;;\n  esac\n}\n";
  return script.str();
}

}  // namespace weir::cli::completion_detail
