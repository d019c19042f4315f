#include "mcp/stdio_server.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <stdexcept>

#include "core/rag/shared_searcher.hpp"
#include "core/error.hpp"
#include "core/store/database_pool.hpp"
#include "mcp/collection_tools.hpp"
#include "mcp/gateway_tool.hpp"
#include "mcp/protocol/stdio_server.hpp"
#include "mcp/source_tools.hpp"
#include "mcp/tool_call_recorder.hpp"

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
  protocol::ToolSet own;
  for (const auto& gateway : config.gateways) add_gateway_tool(own, gateway, pool, {}, {&searcher, nullptr});
  for (const auto& set : config.collection_sets) add_collection_tools(own, set, pool, searcher);
  server.set_tools(source_tools(std::move(own), config, pool, std::cerr));
  server.serve(STDIN_FILENO, STDOUT_FILENO);
}

}  // namespace weir::mcp
