#include "cli/completion_scripts.hpp"

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
               option.completion == ValueCompletion::key;
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

}  // namespace weir::cli::completion_detail
