#include "core/tools/toolset_source.hpp"

#include <optional>

#include "core/error.hpp"
#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/mcp_server_source.hpp"
#include "core/tools/offered_tools.hpp"
#include "core/tools/openapi_service_cache.hpp"
#include "core/tools/tool_limits.hpp"
#include "core/tools/toolsets.hpp"

namespace weir {

using json = nlohmann::json;

ToolsetSource::ToolsetSource(Database& database, ToolsetSourceInput input, const CancelToken& cancel)
    : input_(std::move(input)) {
  ToolSources sources;
  for (const auto& name : input_.names) sources.append(toolset_sources(database, name));
  auto offered = list_offered_tools(sources, input_.log_directory, cancel);
  std::vector<std::string> offered_names;
  for (const auto& tool : offered.tools) offered_names.push_back(tool.record["name"].get<std::string>());
  auto function_names = mcp_tool_function_names(offered_names);
  const auto openapi_count = sources.openapi_services.size();
  for (size_t index = 0; index < offered.tools.size(); ++index) {
    const auto& tool = offered.tools[index];
    Target target;
    target.source_name = tool.source_name;
    const auto& offered_name = offered_names[index];
    if (sources.tool_limits.contains(offered_name))
      target.limiter = std::make_shared<ToolCallLimiter>(database, offered_name, tool.record.value("source", ""),
                                                         tool.source_name, sources.tool_limits[offered_name]);
    if (tool.source < openapi_count)  // a cache hit: list_offered_tools() just read it
      target.openapi = cached_openapi_service(sources.openapi_services[tool.source]).source;
    else
      target.server =
          McpServerPool::shared().connection(sources.mcp_servers[tool.source - openapi_count], input_.log_directory);
    json parameters = tool.record.value("input_schema", json{{"type", "object"}});
    parameters.erase("$schema");  // some upstreams refuse keywords they do not know
    json function = {{"name", function_names[index]}, {"parameters", std::move(parameters)}};
    if (auto description = tool.record.value("description", std::string()); !description.empty())
      function["description"] = description;
    definitions_.push_back({{"type", "function"}, {"function", std::move(function)}});
    targets_.emplace(function_names[index], std::move(target));
  }
}

std::string ToolsetSource::owner() const {
  std::string names;
  for (const auto& name : input_.names) names += (names.empty() ? "'" : ", '") + name + "'";
  return (input_.names.size() == 1 ? "tool set " : "tool sets ") + names;
}

ToolOutput ToolsetSource::run(const ToolCall& call, const ToolCallContext& context) {
  auto found = targets_.find(call.name);
  if (found == targets_.end()) throw Error(ErrorKind::usage, owner() + " has no tool named '" + call.name + "'");
  const auto& target = found->second;
  std::optional<ToolCallLimiter::Admitted> admitted;
  if (target.limiter) admitted.emplace(target.limiter->admit());
  if (target.openapi) {
    ToolCall renamed = call;
    renamed.name = target.source_name;
    return target.openapi->run(renamed, context);
  }
  return call_mcp_tool(*target.server, target.source_name, call, input_.user, input_.conversation, context);
}

}  // namespace weir
