// Offered tools — what the OpenAPI services and MCP servers of a
// ToolSources (tool_sources.hpp) offer an MCP client, as `weir mcp serve`
// would list them: read now, for a tool set's revision to keep and compare
// (core/tools/tool_changes.hpp).
//
// list_offered_tools() reads every OpenAPI document (load_openapi_service)
// and lists every MCP server through the process's pool (starting a stdio
// server, its stderr appended to `log_directory`/mcp-NAME.log). The tools
// come in the order weir mcp serve adds them: each OpenAPI service's
// operations, then the servers' tools named by name_proxied_tools() (the
// OpenAPI tools' names taken first). Each is one record:
//   {name, title?, description, input_schema, output_schema?, annotations?, source}
// `source` names where it comes from ("OpenAPI service 'Pets'", "MCP server
// 'files'"); the optional keys are there only when the tool has them.
//
// Unlike weir mcp serve, which leaves a server that is down out with a
// warning, every source must answer: a document that cannot be read or used
// is its Error(usage) naming it, two OpenAPI tools of one name Error(usage),
// a server that cannot be started or listed Error(upstream, or
// upstream_timeout) "cannot list the tools of MCP server 'x': ...". Tools
// left out (an operation weir cannot call, a name MCP does not allow) are
// named in `left_out`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/tools/tool_sources.hpp"

namespace weir {

struct OfferedTool {
  nlohmann::json record;
  size_t source = 0;        // OpenAPI services first, then MCP servers, as in the ToolSources
  std::string source_name;  // its name at the source: the operation's tool name, the server's tool name
};

struct OfferedTools {
  std::vector<OfferedTool> tools;
  std::vector<std::string> left_out;
  // The records, in order.
  nlohmann::json records() const;
};

OfferedTools list_offered_tools(const ToolSources& sources, const std::string& log_directory,
                                const CancelToken& cancel);

}  // namespace weir
