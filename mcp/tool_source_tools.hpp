// A ToolSource's tools (core/tools/tool_source.hpp) served as MCP tools: the
// tools a gateway's model can call, offered to MCP clients as they are.
//
// Each definition becomes a tool of the same name, description and input
// schema. A call runs the source's run() on the call's thread with the
// call's cancellation and progress; a result the source marks failed is an
// `isError` result with its text, and an Error from the source becomes the
// `isError` result tool_errors.hpp makes (bad arguments included: the
// client can correct them). Images a source returns are sent as MCP image
// content.
#pragma once

#include <memory>

#include "core/tools/tool_source.hpp"
#include "mcp/protocol/tool_set.hpp"

namespace weir::mcp {

// Throws std::invalid_argument (from ToolSet::add) when a name is taken.
void add_tool_source_tools(protocol::ToolSet& tools, std::shared_ptr<ToolSource> source);

}  // namespace weir::mcp
