// Source tools — the tools of a set of tool sources (core/tools/tool_sources:
// OpenAPI services and MCP servers) added to an MCP server's ToolSet, the
// same way for `weir mcp serve` and for a tool set served over HTTP.
//
// OpenAPI services are read (documents loaded, fetched when given by URL;
// once per process while unchanged: openapi_service_cache.hpp) and their
// operations added; an operation that cannot be served is a line
// in `warnings`, a tool name taken twice is Error(usage) naming the service.
// Then the MCP servers (proxied_servers.hpp), last, so a proxied tool whose
// name is taken is the one renamed.
#pragma once

#include <iosfwd>
#include <string>

#include "core/tools/tool_sources.hpp"
#include "mcp/protocol/tool_set.hpp"

namespace weir::mcp {

void add_source_tools(protocol::ToolSet& tools, const ToolSources& sources, const std::string& log_directory,
                      std::ostream& warnings);

}  // namespace weir::mcp
