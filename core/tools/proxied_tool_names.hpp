// Proxied tool names — the names under which `weir mcp serve` offers the
// tools of the MCP servers it fronts (mcp/proxied_servers.hpp), decided in
// one place so a tool set's stored tools (offered_tools.hpp) are named as a
// client will see them.
//
// name_proxied_tools() keeps each server's tools that pass its `allow` and
// `deny`, in the servers' order and each server's own, and names them:
// - a tool keeps the server's name for it, after the server's `prefix`;
// - where that name is wanted twice (by another server's tool, or is one of
//   `taken`: weir's own tools), every such proxied tool gets its server's
//   name and '_' in front instead ("everything_echo", "files_echo");
// - a name MCP does not allow (1 to 128 of A-Z a-z 0-9 _ . -) is left out,
//   with a line in `left_out` saying why;
// - a server's tools past kMostToolsPerServer are left out (more than a
//   client or a model can use: most likely a broken server), with a line.
// Never throws.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tools/mcp_server_settings.hpp"

namespace weir {

constexpr size_t kMostToolsPerServer = 1000;

struct ProxiedToolName {
  size_t server = 0;    // index into the servers given
  nlohmann::json tool;  // the server's Tool object
  std::string name;     // what weir offers it as
};

// `listed[i]`: the Tool objects of servers[i] (an array; null for a server
// that is left out).
std::vector<ProxiedToolName> name_proxied_tools(const std::vector<McpServerSettings>& servers,
                                                const std::vector<nlohmann::json>& listed,
                                                const std::vector<std::string>& taken,
                                                std::vector<std::string>& left_out);

// Whether MCP allows `name` as a tool name.
bool allowed_mcp_tool_name(const std::string& name);

}  // namespace weir
