#include "mcp/source_tools.hpp"

#include <memory>
#include <optional>
#include <set>
#include <ostream>
#include <stdexcept>

#include "core/error.hpp"
#include "core/json_schema.hpp"
#include "core/store/database_pool.hpp"
#include "core/tools/openapi_service_cache.hpp"
#include "core/tools/tool_limits.hpp"
#include "mcp/proxied_servers.hpp"
#include "mcp/tool_errors.hpp"
#include "mcp/tool_source_tools.hpp"

namespace weir::mcp {

namespace {

// Each limited tool's handler admits the call first (core/tools/tool_limits.hpp).
// Only the sources' tools are limited: a tool of weir's own (a gateway, a
// collection search) that took the name is not the one the limit is for.
void limit_tools(protocol::ToolSet& tools, const ToolSources& sources, const std::set<std::string>& owners,
                 DatabasePool& pool, std::ostream& warnings) {
  if (sources.tool_limits.empty()) return;
  auto database = pool.acquire();
  for (const auto& [name, limits] : sources.tool_limits.items()) {
    const auto* tool = tools.find(name);
    if (!tool || !owners.count(tool->definition.source)) {
      warnings << "weir: tool_limits names '" << name << "', which no OpenAPI service or MCP server here offers\n";
      continue;
    }
    const auto& definition = tool->definition;
    auto limiter = std::make_shared<ToolCallLimiter>(
        *database, name, definition.source, definition.source_name.empty() ? name : definition.source_name, limits);
    // Arguments the tool would refuse (nothing is sent for them) use no quota.
    std::shared_ptr<const JsonSchema> schema;
    try {
      schema = std::make_shared<const JsonSchema>(JsonSchema::compile(definition.input_schema, "tool " + name));
    } catch (const Error&) {
      // A schema the validator cannot read: every call is counted.
    }
    tools.wrap(name, [limiter, schema](protocol::ToolHandler handler) -> protocol::ToolHandler {
      return [limiter, schema, handler = std::move(handler)](const nlohmann::json& arguments,
                                                             protocol::CallContext& context) {
        if (schema && !schema->validate(arguments.is_null() ? nlohmann::json::object() : arguments).empty())
          return handler(arguments, context);  // refused there, with what is wrong
        std::optional<ToolCallLimiter::Admitted> admitted;
        try {
          admitted.emplace(limiter->admit());
        } catch (const Error& refused) {
          return tool_error(refused);
        }
        return handler(arguments, context);
      };
    });
  }
}

}  // namespace

std::shared_ptr<protocol::ToolSetHolder> source_tools(protocol::ToolSet tools, const ToolSources& sources,
                                                      DatabasePool& pool, std::ostream& warnings) {
  const auto log_directory = pool.paths().home + "/logs";
  std::set<std::string> owners;  // of the sources' tools
  for (const auto& server : sources.mcp_servers) owners.insert(server.owner());
  for (const auto& settings : sources.openapi_services) {
    auto loaded = cached_openapi_service(settings);
    owners.insert(loaded.source->owner());
    for (const auto& skipped : loaded.skipped) warnings << "weir: not served (" << skipped << ")\n";
    const auto& name = loaded.source->service().name;
    try {
      add_tool_source_tools(tools, loaded.source);
    } catch (const std::invalid_argument& clash) {
      throw Error(ErrorKind::usage, "OpenAPI service '" + name + "': " + clash.what() +
                                        "; serve fewer --operations, or the clashing tool under another name");
    }
  }
  // Applied to each list built, the first and every one after a server's change.
  auto limit = [sources, owners, &pool](protocol::ToolSet& built, std::ostream& said) {
    limit_tools(built, sources, owners, pool, said);
  };
  return serve_proxied_servers(std::move(tools), sources.mcp_servers, log_directory, warnings, std::move(limit));
}

}  // namespace weir::mcp
