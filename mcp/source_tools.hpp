// Source tools — the tools of a set of tool sources (core/tools/tool_sources:
// OpenAPI services and MCP servers) next to an MCP server's own tools, the
// same way for `weir mcp serve` and for a tool set served over HTTP: the
// holder returned offers `own`, the services' operations and the servers'
// tools, and changes when a server's tools do (proxied_servers.hpp).
//
// OpenAPI services are read (documents loaded, fetched when given by URL;
// once per process while unchanged: openapi_service_cache.hpp) and their
// operations added; an operation that cannot be served is a line
// in `warnings`, a tool name taken twice is Error(usage) naming the service.
// Then the MCP servers (proxied_servers.hpp), last, so a proxied tool whose
// name is taken is the one renamed. Last, each tool named in the sources'
// tool_limits admits its calls through the home's limit ledger
// (core/tools/tool_limits.hpp): a call past a limit is an isError result and
// nothing is sent; arguments the tool's schema refuses are not counted; a
// limit for a tool not served is a line in `warnings`.
// The limits hold for every list the holder offers, a server's changed list
// too. Started servers log to `pool`'s home's logs directory; `pool` must
// outlive the holder.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "core/tools/tool_sources.hpp"
#include "mcp/protocol/tool_set.hpp"
#include "mcp/protocol/tool_set_holder.hpp"

namespace weir {
class DatabasePool;
}

namespace weir::mcp {

std::shared_ptr<protocol::ToolSetHolder> source_tools(protocol::ToolSet own, const ToolSources& sources,
                                                      DatabasePool& pool, std::ostream& warnings);

}  // namespace weir::mcp
