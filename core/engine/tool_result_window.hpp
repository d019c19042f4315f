// Tool result window — keeps old tool results from filling the context.
//
// A gateway's `tool_result_window` N keeps the content of the last N `tool`
// messages of a conversation as they are; every older tool message keeps its
// place, role and tool_call_id (so the conversation stays well formed for
// every provider) but its content becomes kElidedToolResult. Applied to the
// client's conversation before the context budget, and again before each
// round of the tool loop. N = 0 elides them all.
#pragma once

#include <nlohmann/json.hpp>

namespace weir {

inline constexpr const char* kElidedToolResult = "[an older tool result, removed to save context]";

// Returns how many tool messages were elided.
int apply_tool_result_window(nlohmann::json& messages, int window);

}  // namespace weir
