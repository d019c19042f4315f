// Completion scripts — bash, zsh and fish completion for weir, generated from
// the command tree (command_tree.hpp) by `weir completions SHELL`.
//
// Each script is the same small engine over data from the tree: it walks the
// words typed so far (skipping option values, noting `--home DIR`), finds the
// command they name, and offers its subcommands, its options (plus the global
// ones) or what its next argument or option value takes. Store names come from
// `weir [--home DIR] __complete gateways|collections|providers|sessions|keys`, run
// at TAB time with errors silenced, so a broken home never breaks the shell.
#pragma once

#include <string>
#include <vector>

#include "cli/command_tree.hpp"

namespace weir::cli {

std::string bash_completion_script(const CommandSpec& root);
std::string zsh_completion_script(const CommandSpec& root);
std::string fish_completion_script(const CommandSpec& root);

namespace completion_detail {

// Calls `visit` for the root and every subcommand below it, parents first.
template <typename Visit>
void for_each_command(const CommandSpec& command, Visit&& visit) {
  visit(command);
  for (const auto& subcommand : command.subcommands) for_each_command(subcommand, visit);
}

// What the engine completes for an option's value or a positional argument:
// "" for a flag, else "none", "files", "directories", "choices:A,B", or a
// `__complete` kind ("gateways"...), with a trailing "," when the value is a
// comma-separated list.
std::string value_word(const OptionSpec& option);

// The root's options that every subcommand accepts too (CLI11 fallthrough):
// all but help and --version.
std::vector<const OptionSpec*> global_options(const CommandSpec& root);

// The options offered on `command`: its own, then the global ones.
std::vector<const OptionSpec*> offered_options(const CommandSpec& root, const CommandSpec& command);

// One word per positional, in order; the last ends in "..." when repeatable.
std::vector<std::string> positional_words(const CommandSpec& command);

// 'text' for bash and zsh (a ' becomes '\'').
std::string single_quoted(const std::string& text);

// The shell functions _weir_value and _weir_global_value, which set
// _weir_kind to what an option's value takes. bash and zsh share them but for
// the case pattern: `PATTERN)` in bash, `(PATTERN)` in zsh.
std::string value_kind_functions(const CommandSpec& root, bool zsh_patterns);

// The first line of a description, for the one-line listings shells show.
std::string summary(const std::string& description);

}  // namespace completion_detail

}  // namespace weir::cli
