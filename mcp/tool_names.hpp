// Tool names: what a user types (`--tool-name "Support Bot"`) turned into the
// identifier MCP clients and models accept (`support_bot`).
//
// Contract: lower case ASCII letters, digits and `_` are kept; every other
// character (one per UTF-8 code point) becomes `_`. Throws Error(usage) when
// nothing usable is left or the full tool name would pass 64 characters (the
// longest name the common model APIs accept).
#pragma once

#include <string>
#include <string_view>

namespace weir::mcp {

std::string tool_identifier(std::string_view name);

// `prefix + identifier + suffix`, checked against the 64-character limit.
std::string tool_name(std::string_view prefix, std::string_view name, std::string_view suffix);

}  // namespace weir::mcp
