#include "mcp/tool_errors.hpp"

namespace weir::mcp {

protocol::ToolResult tool_error(const Error& error) {
  std::string advice;
  switch (error.kind()) {
    case ErrorKind::usage:
      advice = "Fix the arguments and call the tool again.";
      break;
    case ErrorKind::not_found:
      advice = "The weir server names something that does not exist; its user must fix the MCP configuration.";
      break;
    case ErrorKind::upstream:
    case ErrorKind::upstream_timeout:
      advice = "The model behind this tool failed; try again in a moment, or go on without it.";
      break;
    case ErrorKind::authentication:
    case ErrorKind::permission:
      advice = "weir's credentials for the model were refused; its user must fix them.";
      break;
    case ErrorKind::rate_limited:
      advice = "A rate or budget limit was hit; wait before trying again.";
      break;
    case ErrorKind::too_large:
      advice = "Send less text.";
      break;
    case ErrorKind::interrupted:
      advice = "The call was cancelled.";
      break;
    case ErrorKind::runtime:
      advice = "weir failed on its machine; try again, and tell its user if it keeps failing.";
      break;
    case ErrorKind::unavailable:
      advice = "weir is busy; try again in a moment.";
      break;
  }
  return protocol::ToolResult::error(std::string(error.what()) + "\n" + advice);
}

}  // namespace weir::mcp
