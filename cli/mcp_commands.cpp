// `weir mcp serve` — gateways, collections, OpenAPI services, other MCP servers and tool sets as MCP tools over stdio.
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/tool_source_flags.hpp"
#include "cli/value_names.hpp"
#include "core/json_input.hpp"
#include "core/error.hpp"
#include "core/tools/toolsets.hpp"
#include "mcp/serve_config.hpp"
#include "mcp/stdio_server.hpp"

namespace weir::cli {

namespace {

struct McpServeOptions {
  mcp::GatewayToolConfig gateway;
  mcp::CollectionToolConfig collections;
  std::string collection_list;
  std::string config_file;
  ToolSourceFlags tool_sources;
  std::vector<std::string> toolsets;
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
  options->tool_sources.add_to(*serve, "served as tools", "Also serve the tools of this MCP server");
  serve->add_option("--toolset", options->toolsets,
                    "Serve the tools of this tool set (`weir toolset`), as its sources would be (repeatable)")
      ->type_name(value_name::toolset);
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
    options->tool_sources.collect(*serve, config);
    // A tool set is served as its newest revision's sources, read now.
    for (const auto& name : options->toolsets) config.append(toolset_sources(context.database(), name));
    if (!options->config_file.empty()) config.add_json(read_config(options->config_file), options->config_file);
    mcp::serve_stdio(config, context.paths());
  });
}

}  // namespace weir::cli
