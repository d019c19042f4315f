#include "mcp/stdio_server.hpp"

#include <unistd.h>

#include "mcp/collection_tools.hpp"
#include "core/store/database_pool.hpp"
#include "mcp/gateway_tool.hpp"
#include "mcp/protocol/server.hpp"

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
  protocol::Server server(info);
  for (const auto& gateway : config.gateways) add_gateway_tool(server, gateway, pool);
  for (const auto& set : config.collection_sets) add_collection_tools(server, set, pool);
  server.serve(STDIN_FILENO, STDOUT_FILENO);
}

}  // namespace weir::mcp
