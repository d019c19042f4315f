#include "cli/man_page.hpp"

#include <sstream>

namespace weir::cli {

namespace {

// Text for a roff line: backslashes and hyphens escaped (so option names
// render as the ASCII a user must type), and a leading dot or quote guarded
// so the line is never read as a request.
std::string roff_text(std::string_view text) {
  std::string escaped;
  for (char character : text) {
    if (character == '\\')
      escaped += "\\e";
    else if (character == '-')
      escaped += "\\-";
    else
      escaped += character;
  }
  if (!escaped.empty() && (escaped.front() == '.' || escaped.front() == '\'')) escaped.insert(0, "\\&");
  return escaped;
}

std::string bold(std::string_view text) { return "\\fB" + roff_text(text) + "\\fR"; }
std::string italic(std::string_view text) { return "\\fI" + roff_text(text) + "\\fR"; }

std::string option_heading(const OptionSpec& option) {
  if (option.positional) return italic(option.synopsis());
  std::string heading;
  for (const auto& name : option.names) heading += (heading.empty() ? "" : ", ") + bold(name);
  if (option.takes_value()) heading += " " + italic(option.value_name);
  return heading;
}

std::string option_notes(const OptionSpec& option) {
  std::string notes;
  if (!option.choices.empty()) {
    notes += " One of:";
    for (size_t index = 0; index < option.choices.size(); ++index)
      notes += (index ? ", " : " ") + option.choices[index];
    notes += ".";
  }
  if (option.positional && !option.required) notes += " Optional.";
  if (!option.positional && option.required) notes += " Required.";
  if (option.repeatable && !option.positional && option.description.find("repeat") == std::string::npos)
    notes += " Repeatable.";
  return notes;
}

// The help string, made a sentence so the notes can follow it.
std::string sentence(std::string text) {
  if (!text.empty() && text.back() != '.') text += '.';
  return text;
}

void write_option(std::ostringstream& page, const OptionSpec& option) {
  page << ".TP\n" << option_heading(option) << "\n" << roff_text(sentence(option.description) + option_notes(option)) << "\n";
}

std::string command_synopsis(const CommandSpec& command) {
  std::string synopsis = bold("weir " + command.path_text());
  bool has_options = false;
  for (const auto& option : command.options) has_options = has_options || !option.is_help;
  if (has_options) synopsis += " [" + italic("OPTIONS") + "]";
  if (!command.subcommands.empty()) synopsis += " " + italic("COMMAND");
  for (const auto& positional : command.positionals) {
    std::string word = italic(positional.synopsis());
    synopsis += " " + (positional.required ? word : "[" + word + "]");
  }
  return synopsis;
}

void write_command(std::ostringstream& page, const CommandSpec& command) {
  page << ".SS \"" << roff_text("weir " + command.path_text()) << "\"\n"
       << command_synopsis(command) << "\n.PP\n"
       << roff_text(command.description) << "\n";
  if (!command.subcommands.empty()) {
    std::string names;
    for (const auto& subcommand : command.subcommands) names += (names.empty() ? "" : ", ") + subcommand.name;
    page << ".PP\nCommands: " << roff_text(names) << ".\n";
  }
  for (const auto& positional : command.positionals) write_option(page, positional);
  for (const auto& option : command.options)
    if (!option.is_help) write_option(page, option);
  for (const auto& subcommand : command.subcommands) write_command(page, subcommand);
}

void replace_all(std::string& text, std::string_view placeholder, const std::string& replacement) {
  for (size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + replacement.size()))
    text.replace(at, placeholder.size(), replacement);
}

}  // namespace

std::string man_page(const CommandSpec& root, std::string_view template_text, std::string_view version) {
  std::ostringstream global_options;
  for (const auto& option : root.options) write_option(global_options, option);

  std::ostringstream commands;
  for (const auto& command : root.subcommands) write_command(commands, command);

  std::string page(template_text);
  replace_all(page, "@VERSION@", std::string(version));
  replace_all(page, "@GLOBAL_OPTIONS@\n", global_options.str());
  replace_all(page, "@COMMANDS@\n", commands.str());
  return page;
}

}  // namespace weir::cli
