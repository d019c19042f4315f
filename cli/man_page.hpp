// Man page — weir(1) from a hand-written template and the command tree.
//
// The template (man/weir.1.in) holds what the definitions cannot know:
// description, environment, files, exit status, examples. Its placeholders
// are replaced: @VERSION@ by weir's version, @GLOBAL_OPTIONS@ by the root's
// options, @COMMANDS@ by one subsection per command (every command, groups
// included, each with its synopsis, description, arguments and options).
// Every text taken from the tree is escaped for roff, so a help string can
// never break the page.
#pragma once

#include <string>
#include <string_view>

#include "cli/command_tree.hpp"

namespace weir::cli {

std::string man_page(const CommandSpec& root, std::string_view template_text, std::string_view version);

}  // namespace weir::cli
