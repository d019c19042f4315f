#include "core/tools/proxied_tool_names.hpp"

#include <map>

namespace weir {

using json = nlohmann::json;

bool allowed_mcp_tool_name(const std::string& name) {
  return !name.empty() && name.size() <= 128 &&
         name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
             std::string::npos;
}

std::vector<ProxiedToolName> name_proxied_tools(const std::vector<McpServerSettings>& servers,
                                                const std::vector<json>& listed, const std::vector<std::string>& taken,
                                                std::vector<std::string>& left_out) {
  std::vector<ProxiedToolName> proxied;
  std::map<std::string, int> uses;  // offered name -> how many tools want it
  for (const auto& name : taken) ++uses[name];
  for (size_t index = 0; index < servers.size() && index < listed.size(); ++index) {
    if (!listed[index].is_array()) continue;
    const auto& settings = servers[index];
    size_t offered = 0;
    for (const auto& tool : listed[index]) {
      auto name = tool.is_object() && tool.contains("name") && tool["name"].is_string() ? tool["name"].get<std::string>()
                                                                                         : std::string();
      if (!settings.offers(name)) continue;
      if (++offered > kMostToolsPerServer) {
        left_out.push_back(settings.owner() + " offers more than " + std::to_string(kMostToolsPerServer) +
                           " tools; the rest are left out (choose with allow)");
        break;
      }
      proxied.push_back({index, tool, settings.prefix + name});
      ++uses[settings.prefix + name];
    }
  }
  std::vector<ProxiedToolName> named;
  for (auto& tool : proxied) {
    const auto& settings = servers[tool.server];
    if (uses[tool.name] > 1) tool.name = settings.name + "_" + tool.name;
    if (!allowed_mcp_tool_name(tool.name)) {
      left_out.push_back("tool '" + tool.name + "' of " + settings.owner() +
                         ": MCP tool names are 1 to 128 of A-Z a-z 0-9 _ . -");
      continue;
    }
    named.push_back(std::move(tool));
  }
  return named;
}

}  // namespace weir
