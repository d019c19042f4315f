// Slash commands — what a line typed at the chat REPL means when it starts
// with '/'.
//
// A line that does not start with '/' is a message for the model; so is one
// that starts with "//", sent with one '/' removed (to ask about "/etc").
// A line that starts with a single '/' is a command from the table below and
// is never sent to the model: an unknown name, or a command given a missing or
// an unwanted argument, is Error(usage) naming it and pointing at /help.
// Only the REPL's front door reads these, so the rule lives in cli/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::cli {

enum class SlashKind { help, reset, system, model, save, attach, exit };

struct SlashCommand {
  SlashKind kind;
  std::string argument;  // the text after the name, trimmed ("" when it takes none)
};

// One row per command: how it is typed, its argument's name ("" for none) and
// what it does, as /help prints it.
struct SlashCommandRow {
  SlashKind kind;
  std::string_view name;  // with its '/'
  std::string_view argument;
  std::string_view help;
};
const std::vector<SlashCommandRow>& slash_commands();

// The command a line asks for, or nullopt when the line is a message (the
// "//" escape is undone in `line`). Throws Error(usage) as said above.
std::optional<SlashCommand> parse_slash_command(std::string& line);

// The /help text: one line per command, then the keys the prompt knows.
std::string slash_help();

}  // namespace weir::cli
