// `weir mcp tools` — the MCP servers' tools as a gateway's model would see
// them, or one server's tools ad hoc (--command CMD [ARG...] / --url URL).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/error.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/mcp_server_settings.hpp"
#include "core/tools/mcp_server_source.hpp"

namespace weir::cli {

namespace {

struct McpToolsOptions {
  std::vector<std::string> positional;  // GATEWAY, or the command's arguments
  std::string command;
  std::string url;
  std::vector<std::string> headers;
  std::vector<std::string> environment;
  int timeout_ms = 60'000;
};

}  // namespace

void register_mcp_tools_command(CLI::App& mcp_group, CommandContext& context) {
  auto options = std::make_shared<McpToolsOptions>();
  auto* tools = mcp_group.add_subcommand(
      "tools", "List the MCP server tools a gateway's model would see, or one server's tools "
               "(--command CMD [-- ARG...] or --url URL); --json prints the definitions");
  tools->add_option("gateway", options->positional,
                    "Gateway id, slug or name; with --command, the command's arguments (after --)")
      ->type_name(value_name::gateway);
  tools->add_option("--command", options->command, "Run this stdio MCP server and list its tools");
  tools->add_option("--url", options->url, "List the tools of this streamable-HTTP MCP server");
  tools->add_option("--header", options->headers, "'Name: value' header for --url (repeatable)");
  tools->add_option("--env", options->environment, "NAME=VALUE for --command (repeatable)");
  tools->add_option("--timeout-ms", options->timeout_ms, "Longest the server may take to start and list, 10..3600000");
  tools->callback([&context, options] {
    std::vector<McpServerSettings> servers;
    if (!options->command.empty() || !options->url.empty()) {
      if (!options->command.empty() && !options->url.empty())
        throw Error(ErrorKind::usage, "give --command or --url, not both");
      McpServerSettings server;
      server.name = "ad-hoc";
      server.command = options->command;
      server.url = options->url;
      server.headers = options->headers;
      server.environment = options->environment;
      if (!options->command.empty()) server.args = options->positional;
      else if (!options->positional.empty())
        throw Error(ErrorKind::usage, "arguments after --url have no use; give the gateway or --command CMD");
      server.timeout_ms = std::clamp(options->timeout_ms, 10, 3'600'000);
      servers.push_back(std::move(server));
    } else {
      if (options->positional.size() != 1)
        throw Error(ErrorKind::usage, "give one gateway, or --command CMD [-- ARG...], or --url URL");
      auto gateway = GatewayRepository(context.database()).resolve(options->positional.front());
      servers = mcp_server_settings(gateway.config.fields());
      if (servers.empty() && !context.options.json)
        print_notice("the gateway '" + gateway.name + "' has no mcp_servers; its model sees no MCP tools", false);
    }
    CancelToken cancel;
    auto definitions = nlohmann::json::array();
    Table table({"NAME", "SOURCE", "DESCRIPTION"});
    for (const auto& server : servers) {
      McpServerSource source(McpServerPool::shared().connection(server, context.paths().home + "/logs"), "", "",
                             cancel);
      for (const auto& tool : source.definitions()) {
        definitions.push_back(tool);
        auto description = tool["function"].value("description", "");
        if (auto newline = description.find('\n'); newline != std::string::npos) description.resize(newline);
        if (description.size() > 80) description = description.substr(0, 77) + "...";
        table.add({tool["function"]["name"].get<std::string>(), source.owner(), description});
      }
    }
    if (context.options.json)
      print_json(definitions);
    else
      table.print();
  });
}

}  // namespace weir::cli
