// Command words — what the command line says before CLI11 parses it.
//
// CLI11 reports a mistyped or missing command as "A subcommand is required"
// and lets an option that takes a list swallow the words after it. These
// helpers run on the built command tree, before parse():
//  - give_each_option_one_value() makes every option take exactly one value
//    per occurrence (repeat the option for more), so a message or a search
//    term after `--tag T` stays a positional argument, in any position;
//  - check_command_words() walks argv down the tree and throws
//    Error(usage) naming an unknown command word and the nearest command
//    (`weir collection serch` -> did you mean `weir collection search`?);
//    when a group that needs a command is given none (bare `weir`, bare
//    `weir collection`), it returns that group's short usage to print.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace weir::cli {

void give_each_option_one_value(CLI::App& app);

// The short usage of the group argv stops at, when that group needs a
// command and was given none; nullopt when argv names a command (or asks
// for --help or --version). Throws Error(usage) for an unknown command word.
std::optional<std::string> check_command_words(const CLI::App& app, int argc, char** argv);

}  // namespace weir::cli
