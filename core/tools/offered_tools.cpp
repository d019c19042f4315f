#include "core/tools/offered_tools.hpp"

#include <set>

#include "core/error.hpp"
#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/openapi_service_cache.hpp"
#include "core/tools/proxied_tool_names.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

std::string text_member(const json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// An MCP server's Tool object as its record (what a proxied tool keeps: mcp/proxied_servers.cpp).
json proxied_record(const json& tool, const std::string& name, const std::string& owner) {
  json record = {{"name", name}, {"description", text_member(tool, "description")}};
  if (auto title = text_member(tool, "title"); !title.empty()) record["title"] = title;
  record["input_schema"] =
      tool.contains("inputSchema") && tool["inputSchema"].is_object() ? tool["inputSchema"] : json{{"type", "object"}};
  for (const auto& [key, field] : {std::pair{"outputSchema", "output_schema"}, std::pair{"annotations", "annotations"}})
    if (tool.contains(key) && tool[key].is_object()) record[field] = tool[key];
  record["source"] = owner;
  return record;
}

}  // namespace

json OfferedTools::records() const {
  json list = json::array();
  for (const auto& tool : tools) list.push_back(tool.record);
  return list;
}

OfferedTools list_offered_tools(const ToolSources& sources, const std::string& log_directory,
                                const CancelToken& cancel) {
  OfferedTools offered;
  std::set<std::string> names;
  std::vector<std::string> taken;
  size_t index = 0;
  for (const auto& settings : sources.openapi_services) {
    auto loaded = cached_openapi_service(settings);
    for (const auto& skipped : loaded.skipped) offered.left_out.push_back(skipped);
    const auto& source = *loaded.source;
    for (const auto& definition : source.definitions()) {
      const auto& function = definition.at("function");
      auto name = function.value("name", std::string());
      // weir mcp serve refuses the same clash (mcp/stdio_server.cpp).
      if (!names.insert(name).second)
        throw Error(ErrorKind::usage, source.owner() + ": two tools would be named '" + name +
                                          "'; leave one out with --operations or deny");
      offered.tools.push_back({{{"name", name},
                                {"description", function.value("description", std::string())},
                                {"input_schema", function.value("parameters", json{{"type", "object"}})},
                                {"source", source.owner()}},
                               index,
                               name});
      taken.push_back(name);
    }
    ++index;
  }
  std::vector<json> listed;
  for (const auto& settings : sources.mcp_servers) {
    auto connection = McpServerPool::shared().connection(settings, log_directory);
    try {
      listed.push_back(connection->tools(cancel));
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::interrupted) throw;
      std::string reason = error.what();
      if (reason.starts_with(settings.owner() + " ")) reason = reason.substr(settings.owner().size() + 1);
      throw Error(error.kind(), "cannot list the tools of " + settings.owner() + ": " + reason);
    }
  }
  for (auto& named : name_proxied_tools(sources.mcp_servers, listed, taken, offered.left_out)) {
    const auto& settings = sources.mcp_servers[named.server];
    offered.tools.push_back({proxied_record(named.tool, named.name, settings.owner()),
                             sources.openapi_services.size() + named.server, text_member(named.tool, "name")});
  }
  return offered;
}

}  // namespace weir
