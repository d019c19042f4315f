#include "mcp/stdio_server.hpp"

#include <unistd.h>

#include <memory>

#include "core/store/database_pool.hpp"
#include "mcp/collection_tools.hpp"
#include "mcp/gateway_tool.hpp"
#include "mcp/protocol/stdio_server.hpp"
#include "mcp/searcher_pool.hpp"

namespace weir::mcp {

void serve_stdio(const ServeConfig& config, const Paths& paths) {
  config.validate();
  DatabasePool pool(paths);
  protocol::ServerInfo info;
  info.name = "weir";
  info.title = "weir";
  info.version = WEIR_VERSION;
  info.instructions =
      "weir serves AI gateways and knowledge collections of this machine as tools: invoke_* tools ask a "
      "configured model, *_search tools search local documents.";
  protocol::StdioServer server(info);
  auto searchers = std::make_shared<SearcherPool>(pool);
  for (const auto& gateway : config.gateways) add_gateway_tool(server.tools(), gateway, pool);
  for (const auto& set : config.collection_sets) add_collection_tools(server.tools(), set, pool, searchers);
  server.serve(STDIN_FILENO, STDOUT_FILENO);
}

}  // namespace weir::mcp
