#include "cli/tool_source_flags.hpp"

#include "cli/value_names.hpp"
#include "core/error.hpp"
#include "core/tools/tool_limits.hpp"
#include "mcp/serve_config.hpp"

namespace weir::cli {

void ToolSourceFlags::add_to(CLI::App& command, const std::string& openapi_help, const std::string& mcp_server_help) {
  command.add_option("--openapi", openapi_.document,
                     "OpenAPI 3.0/3.1 document (JSON or YAML file, or URL) whose operations are " + openapi_help)
      ->type_name(value_name::file);
  command.add_option("--base-url", openapi_.base_url,
                     "Where the --openapi service is called (default: the document's first server)")
      ->type_name("URL");
  command.add_option("--header", headers_,
                     "Header sent with every --openapi call, NAME:VALUE; ${VAR} is read from the environment")
      ->type_name("NAME:VALUE");
  command.add_option("--operations", operations_,
                     "Only these --openapi operations (operationIds or tool names), comma-separated")
      ->type_name("IDS");
  command.add_option("--mcp-server", mcp_servers_,
                     mcp_server_help + ": NAME=URL (streamable HTTP) or NAME='COMMAND ARG...' (stdio; repeatable)")
      ->type_name("NAME=COMMAND|URL");
  command.add_option("--tool-limit", tool_limits_,
                     "At most N calls of TOOL per minute, hour or day, or N at once: TOOL=N/minute|hour|day|concurrent "
                     "(repeatable; counted across every weir on this home)")
      ->type_name("TOOL=N/UNIT");
}

void ToolSourceFlags::collect(const CLI::App& command, ToolSources& sources) const {
  if (!openapi_.document.empty()) {
    auto openapi = openapi_;
    for (const auto& header : headers_)
      openapi.headers.push_back(parse_header_argument(header, "--header '" + header + "'"));
    openapi.operations = mcp::split_list(operations_);
    sources.openapi_services.push_back(openapi);
  } else if (command.count("--base-url") || command.count("--header") || command.count("--operations")) {
    throw Error(ErrorKind::usage, "--base-url, --header and --operations describe --openapi FILE|URL; give it");
  }
  for (const auto& server : mcp_servers_) sources.mcp_servers.push_back(mcp::mcp_server_from_flag(server));
  for (const auto& text : tool_limits_) {
    auto [tool, limits] = parse_tool_limit_argument(text);
    merge_tool_limits(sources.tool_limits, nlohmann::json{{tool, limits}});
  }
}

}  // namespace weir::cli
