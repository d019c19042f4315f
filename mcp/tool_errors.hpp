// Turning a weir::Error from core into the tool result a model reads
// (`isError: true`): what went wrong, then what the model or its user can do
// about it. The front door translates; core's message is kept whole.
#pragma once

#include "core/error.hpp"
#include "mcp/protocol/tool.hpp"

namespace weir::mcp {

protocol::ToolResult tool_error(const Error& error);

}  // namespace weir::mcp
