// The flags that name tool sources — one OpenAPI service (--openapi, with
// --base-url, --header, --operations) and any number of MCP servers
// (--mcp-server), and per-tool limits (--tool-limit) — shared by `weir mcp serve` and `weir toolset
// create|update`, so both read them alike.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/tools/tool_sources.hpp"

namespace weir::cli {

class ToolSourceFlags {
 public:
  // Adds the flags to `command`. `openapi_help` ends the --openapi help
  // ("...whose operations are served as tools"); `mcp_server_help` begins
  // the --mcp-server help ("Also serve the tools of this MCP server").
  void add_to(CLI::App& command, const std::string& openapi_help, const std::string& mcp_server_help);
  // Appends the sources given to `sources`. Error(usage) when --base-url,
  // --header or --operations come without --openapi, or a value is malformed.
  void collect(const CLI::App& command, ToolSources& sources) const;

 private:
  OpenApiServiceSettings openapi_;
  std::vector<std::string> headers_;
  std::string operations_;
  std::vector<std::string> mcp_servers_;
  std::vector<std::string> tool_limits_;
};

}  // namespace weir::cli
