// ToolSources — the tool sources that are not weir's own: OpenAPI services
// (openapi_service.hpp) and other MCP servers (mcp_server_settings.hpp), as
// `weir mcp serve --config` names them and a tool set stores them:
//   {"openapi":     [{"document": "pets.yaml", "base_url": ..., ...}],
//    "mcp_servers": [{"name": "files", "command": "npx", "args": [...], ...}],
//    "tool_limits": {"getBook": {"requests_per_minute": 60}}}
// (an mcp_servers record is the one a gateway's `mcp_servers` block holds,
// with `deny` and `prefix`; tool_limits are tool_limits.hpp's, by the names
// the tools are offered under).
//
// Contract: add_json() and validate() throw Error(usage) naming the source
// ("serve.json: openapi[0].base_url ...") and the key or value at fault;
// add_json() checks what it reads, validate() also the MCP server records
// made from flags (names unique among the servers, a command or a url).
// to_json() writes what add_json() reads back. Nothing here reads a
// document or starts a server (offered_tools.hpp does).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tools/mcp_server_settings.hpp"
#include "core/tools/openapi_service.hpp"

namespace weir {

struct ToolSources {
  std::vector<OpenApiServiceSettings> openapi_services;
  std::vector<McpServerSettings> mcp_servers;
  nlohmann::json tool_limits = nlohmann::json::object();  // checked; merged strictest first (merge_tool_limits)

  bool empty() const { return openapi_services.empty() && mcp_servers.empty(); }
  size_t size() const { return openapi_services.size() + mcp_servers.size(); }

  // Appends the "openapi", "mcp_servers" and "tool_limits" members of `document` when it
  // has them; its other keys are the caller's to read. `source` names the
  // document in errors.
  void add_json(const nlohmann::json& document, const std::string& source);
  // A document of these keys only (an unknown key is an error naming the known ones).
  static ToolSources from_json(const nlohmann::json& document, const std::string& source);
  // Every record, in order; a key only for a kind that has records.
  nlohmann::json to_json() const;
  void validate() const;
  // Appends the other's sources after these, less those already here
  // (the same record: two tool sets sharing a server serve it once).
  void append(const ToolSources& other);
};

}  // namespace weir
