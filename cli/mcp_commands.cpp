// `weir mcp serve` — gateways, collections and OpenAPI services as MCP tools over stdio.
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/value_names.hpp"
#include "core/json_input.hpp"
#include "core/error.hpp"
#include "core/tools/openapi_service.hpp"
#include "mcp/serve_config.hpp"
#include "mcp/stdio_server.hpp"

namespace weir::cli {

namespace {

struct McpServeOptions {
  mcp::GatewayToolConfig gateway;
  mcp::CollectionToolConfig collections;
  std::string collection_list;
  std::string config_file;
  OpenApiServiceSettings openapi;
  std::vector<std::string> openapi_headers;
  std::string openapi_operations;
  std::vector<std::string> mcp_servers;
};

nlohmann::json read_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorKind::usage, "cannot read --config " + path);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return read_json_or_throw(buffer.str(), "--config " + path, ErrorKind::usage);
}

}  // namespace

void register_mcp_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand("mcp", "Model Context Protocol: serve gateways and collections as MCP tools");
  group->require_subcommand(1);
  register_mcp_tools_command(*group, context);

  auto options = std::make_shared<McpServeOptions>();
  auto* serve = group->add_subcommand(
      "serve", "Serve MCP over stdio (for Claude Desktop, Claude Code, VS Code...): gateways as invoke_<name> "
               "tools, collections as <name>_search tools");
  serve->add_option("--gateway", options->gateway.gateway, "Gateway served as the invoke_<tool-name> tool")
      ->type_name(value_name::target);
  serve->add_option("--tool-name", options->gateway.tool_name, "Its tool name, made an identifier (default ai_model)");
  serve->add_option("--tool-description", options->gateway.description, "Its description, for the model");
  serve->add_option("--tool-title", options->gateway.title, "Its title, for people");
  serve->add_option("--collections", options->collection_list,
                    "Collections served as the <collection-tool-name>_search tool, comma-separated")
      ->type_name(value_name::collections);
  serve->add_option("--collection-tool-name", options->collections.tool_name,
                    "Name of the collection tools (default: the collection names)");
  serve->add_option("--top-k", options->collections.top_k, "Results per search, 1..128 (default 5)");
  serve->add_option("--min-score", options->collections.min_score, "Lowest score returned, 0.01..0.99 (default 0.2)");
  serve->add_option("--reranker", options->collections.reranker, "lexical (default) | none | rrf");
  serve->add_flag("--include-references", options->collections.include_references,
                  "Also return documents sharing a result's ref");
  serve->add_flag("--allow-write", options->collections.allow_write,
                  "Add <name>_upsert and <name>_delete tools that change the collections");
  serve->add_option("--openapi", options->openapi.document,
                    "OpenAPI 3.0/3.1 document (JSON or YAML file, or URL) whose operations are served as tools")
      ->type_name(value_name::file);
  serve->add_option("--base-url", options->openapi.base_url,
                    "Where the --openapi service is called (default: the document's first server)")
      ->type_name("URL");
  serve->add_option("--header", options->openapi_headers,
                    "Header sent with every --openapi call, NAME:VALUE; ${VAR} is read from the environment")
      ->type_name("NAME:VALUE");
  serve->add_option("--operations", options->openapi_operations,
                    "Serve only these --openapi operations (operationIds or tool names), comma-separated")
      ->type_name("IDS");
  serve->add_option("--mcp-server", options->mcp_servers,
                    "Also serve the tools of this MCP server: NAME=URL (streamable HTTP) or NAME='COMMAND ARG...' "
                    "(stdio; repeatable)")
      ->type_name("NAME=COMMAND|URL");
  serve->add_option("--config", options->config_file,
                    "JSON file serving several gateways and collection sets (see README, \"MCP\")")
      ->type_name(value_name::file);
  serve->callback([&context, options, serve] {
    mcp::ServeConfig config;
    bool gateway_flags = serve->count("--tool-name") || serve->count("--tool-description") || serve->count("--tool-title");
    if (!options->gateway.gateway.empty())
      config.gateways.push_back(options->gateway);
    else if (gateway_flags)
      throw Error(ErrorKind::usage, "--tool-name, --tool-description and --tool-title describe --gateway G; give it");
    if (!options->collection_list.empty()) {
      options->collections.collections = mcp::split_list(options->collection_list);
      config.collection_sets.push_back(options->collections);
    } else if (serve->count("--collection-tool-name") || serve->count("--top-k") || serve->count("--min-score") ||
               serve->count("--reranker") || serve->count("--include-references") || serve->count("--allow-write")) {
      throw Error(ErrorKind::usage, "the collection options describe --collections C1,C2; give it");
    }
    if (!options->openapi.document.empty()) {
      for (const auto& header : options->openapi_headers)
        options->openapi.headers.push_back(parse_header_argument(header, "--header '" + header + "'"));
      options->openapi.operations = mcp::split_list(options->openapi_operations);
      config.openapi_services.push_back(options->openapi);
    } else if (serve->count("--base-url") || serve->count("--header") || serve->count("--operations")) {
      throw Error(ErrorKind::usage, "--base-url, --header and --operations describe --openapi FILE|URL; give it");
    }
    for (const auto& server : options->mcp_servers) config.mcp_servers.push_back(mcp::mcp_server_from_flag(server));
    if (!options->config_file.empty()) config.add_json(read_config(options->config_file), options->config_file);
    mcp::serve_stdio(config, context.paths());
  });
}

}  // namespace weir::cli
