#include "mcp/protocol/tool.hpp"

namespace weir::mcp::protocol {

ToolResult ToolResult::text(const std::string& text) {
  ToolResult result;
  result.content.push_back({{"type", "text"}, {"text", text}});
  return result;
}

ToolResult ToolResult::error(const std::string& message) {
  auto result = text(message);
  result.is_error = true;
  return result;
}

}  // namespace weir::mcp::protocol
