#include "mcp/stdio_server.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <stdexcept>

#include "core/rag/shared_searcher.hpp"
#include "core/error.hpp"
#include "core/store/database_pool.hpp"
#include "core/tools/openapi_tool_source.hpp"
#include "mcp/collection_tools.hpp"
#include "mcp/gateway_tool.hpp"
#include "mcp/protocol/stdio_server.hpp"
#include "mcp/proxied_servers.hpp"
#include "mcp/tool_call_recorder.hpp"
#include "mcp/tool_source_tools.hpp"

namespace weir::mcp {

void serve_stdio(const ServeConfig& config, const Paths& paths) {
  config.validate();
  DatabasePool pool(paths);
  SharedSearcher searcher(pool);  // one set of loaded indexes for every search call
  protocol::ServerInfo info;
  info.name = "weir";
  info.title = "weir";
  info.version = WEIR_VERSION;
  info.instructions =
      "weir serves AI gateways and knowledge collections of this machine as tools: invoke_* tools ask a "
      "configured model, *_search tools search local documents, and other tools call the web services or MCP "
      "servers they come from.";
  protocol::StdioOptions options;
  options.on_call_finished = tool_call_recorder(pool, "mcp", "");
  protocol::StdioServer server(info, options);
  for (const auto& gateway : config.gateways) add_gateway_tool(server.tools(), gateway, pool, {}, {&searcher, nullptr});
  for (const auto& set : config.collection_sets) add_collection_tools(server.tools(), set, pool, searcher);
  for (const auto& settings : config.openapi_services) {
    auto loaded = load_openapi_service(settings);
    for (const auto& skipped : loaded.skipped) std::cerr << "weir: not served (" << skipped << ")\n";
    auto name = loaded.service.name;
    try {
      add_tool_source_tools(server.tools(), std::make_shared<OpenApiToolSource>(std::move(loaded.service)));
    } catch (const std::invalid_argument& clash) {
      throw Error(ErrorKind::usage, "OpenAPI service '" + name + "': " + clash.what() +
                                        "; serve fewer --operations, or the clashing tool under another name");
    }
  }
  // Last: a proxied tool whose name weir's own tools took is the one renamed.
  add_proxied_server_tools(server.tools(), config.mcp_servers, paths.home + "/logs", std::cerr);
  server.serve(STDIN_FILENO, STDOUT_FILENO);
}

}  // namespace weir::mcp
