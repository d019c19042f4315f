#include "mcp/stdio_server.hpp"

#include <unistd.h>

#include "core/rag/shared_searcher.hpp"
#include "core/store/database_pool.hpp"
#include "mcp/collection_tools.hpp"
#include "mcp/gateway_tool.hpp"
#include "mcp/protocol/stdio_server.hpp"

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
      "configured model, *_search tools search local documents.";
  protocol::StdioServer server(info);
  for (const auto& gateway : config.gateways) add_gateway_tool(server.tools(), gateway, pool, {}, {&searcher, nullptr});
  for (const auto& set : config.collection_sets) add_collection_tools(server.tools(), set, pool, searcher);
  server.serve(STDIN_FILENO, STDOUT_FILENO);
}

}  // namespace weir::mcp
