#include "mcp/source_tools.hpp"

#include <memory>
#include <ostream>
#include <stdexcept>

#include "core/error.hpp"
#include "core/tools/openapi_service_cache.hpp"
#include "mcp/proxied_servers.hpp"
#include "mcp/tool_source_tools.hpp"

namespace weir::mcp {

void add_source_tools(protocol::ToolSet& tools, const ToolSources& sources, const std::string& log_directory,
                      std::ostream& warnings) {
  for (const auto& settings : sources.openapi_services) {
    auto loaded = cached_openapi_service(settings);
    for (const auto& skipped : loaded.skipped) warnings << "weir: not served (" << skipped << ")\n";
    const auto& name = loaded.source->service().name;
    try {
      add_tool_source_tools(tools, loaded.source);
    } catch (const std::invalid_argument& clash) {
      throw Error(ErrorKind::usage, "OpenAPI service '" + name + "': " + clash.what() +
                                        "; serve fewer --operations, or the clashing tool under another name");
    }
  }
  add_proxied_server_tools(tools, sources.mcp_servers, log_directory, warnings);
}

}  // namespace weir::mcp
