// Terminal style — whether weir colours and styles what it prints.
//
// The one rule for the `color` and `output` config keys (user_config.hpp)
// and the NO_COLOR convention (no-color.org: a config setting overrides the
// variable): `color=auto` styles a terminal's output unless NO_COLOR is set,
// `on` styles it even when piped (for `less -R`), `off` never does. Markdown
// styling of a chat answer also needs `output=markdown` and no --raw.
#pragma once

#include <string_view>

namespace weir {

class UserConfig;

struct TerminalFacts {
  bool is_terminal = false;  // the stream written to is a terminal
  bool no_color = false;     // NO_COLOR is set to a non-empty value
};

// Colour (ANSI escapes) on a stream, for a `color` setting.
bool uses_color(std::string_view color_setting, TerminalFacts facts);
// Markdown styling of an answer written to stdout.
bool styles_markdown(const UserConfig& config, bool raw_flag, TerminalFacts stdout_facts);

}  // namespace weir
