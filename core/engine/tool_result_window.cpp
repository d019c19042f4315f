#include "core/engine/tool_result_window.hpp"

namespace weir {

int apply_tool_result_window(nlohmann::json& messages, int window) {
  if (!messages.is_array() || window < 0) return 0;
  int kept = 0;
  int elided = 0;
  for (size_t index = messages.size(); index-- > 0;) {
    auto& message = messages[index];
    if (!message.is_object() || !message.contains("role") || message["role"] != "tool") continue;
    if (kept < window) {
      ++kept;
      continue;
    }
    if (message.contains("content") && message["content"] == kElidedToolResult) continue;
    message["content"] = kElidedToolResult;
    ++elided;
  }
  return elided;
}

}  // namespace weir
