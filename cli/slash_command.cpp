#include "cli/slash_command.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace weir::cli {

const std::vector<SlashCommandRow>& slash_commands() {
  static const std::vector<SlashCommandRow> rows = {
      {SlashKind::help, "/help", "", "list these commands and keys"},
      {SlashKind::reset, "/reset", "", "forget the conversation so far (and the /system text)"},
      {SlashKind::system, "/system", "TEXT", "add a system message for the rest of the conversation"},
      {SlashKind::model, "/model", "TARGET", "talk to another gateway, or @provider/model, from the next message"},
      {SlashKind::save, "/save", "NAME", "save the conversation as session NAME (weir chat --session NAME)"},
      {SlashKind::attach, "/attach", "FILE", "attach a file to the next message, as -a FILE does"},
      {SlashKind::exit, "/exit", "", "leave (also /quit or Ctrl-D)"},
  };
  return rows;
}

namespace {

std::string trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace

std::optional<SlashCommand> parse_slash_command(std::string& line) {
  if (line.empty() || line.front() != '/') return std::nullopt;
  if (line.size() > 1 && line[1] == '/') {
    line.erase(0, 1);
    return std::nullopt;
  }
  auto space = line.find_first_of(" \t");
  std::string name = line.substr(0, space);
  std::string argument = space == std::string::npos ? "" : trimmed(std::string_view(line).substr(space));
  if (name == "/quit") name = "/exit";
  const auto& rows = slash_commands();
  auto row = std::find_if(rows.begin(), rows.end(), [&](const SlashCommandRow& each) { return each.name == name; });
  if (row == rows.end())
    throw Error(ErrorKind::usage, "unknown command " + name + " (not sent to the model); /help lists the commands, "
                                  "and //TEXT sends a message that starts with '/'");
  if (!row->argument.empty() && argument.empty())
    throw Error(ErrorKind::usage, std::string(row->name) + " needs " + std::string(row->argument) + ": " +
                                      std::string(row->name) + " " + std::string(row->argument));
  if (row->argument.empty() && !argument.empty())
    throw Error(ErrorKind::usage, std::string(row->name) + " takes nothing after it; /help lists the commands");
  return SlashCommand{row->kind, argument};
}

std::string slash_help() {
  std::string text;
  for (const auto& row : slash_commands()) {
    std::string usage = std::string(row.name) + (row.argument.empty() ? "" : " " + std::string(row.argument));
    usage.resize(std::max<std::size_t>(usage.size() + 2, 16), ' ');
    text += usage + std::string(row.help) + "\n";
  }
  text +=
      "//TEXT          send TEXT starting with '/'\n"
      "Left/Right, Home/End, Ctrl-A/E/K/W edit the line; Up/Down walk the history; Ctrl-R searches it\n"
      "Ctrl-C stops an answer (or clears the line); Ctrl-D on an empty line leaves\n";
  return text;
}

}  // namespace weir::cli
