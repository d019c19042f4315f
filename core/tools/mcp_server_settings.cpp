#include "core/tools/mcp_server_settings.hpp"

#include <algorithm>
#include <iterator>

namespace weir {

namespace {

std::vector<std::string> texts(const nlohmann::json& record, const char* name) {
  std::vector<std::string> values;
  auto found = record.find(name);
  if (found == record.end() || !found->is_array()) return values;
  for (const auto& value : *found)
    if (value.is_string()) values.push_back(value.get<std::string>());
  return values;
}

std::string text(const nlohmann::json& record, const char* name) {
  auto found = record.find(name);
  return found != record.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

nlohmann::json McpServerSettings::to_json() const {
  return {{"name", name},        {"command", command}, {"args", args},   {"env", environment},
          {"cwd", working_directory}, {"url", url},    {"headers", headers}, {"allow", allow},
          {"deny", deny},        {"prefix", prefix},   {"cache_seconds", cache_seconds}, {"timeout_ms", timeout_ms}};
}

nlohmann::json McpServerSettings::record() const {
  auto record = to_json();
  const McpServerSettings defaults;
  for (auto it = record.begin(); it != record.end();) {
    bool unset = it.value() == nlohmann::json("") || it.value() == nlohmann::json::array() ||
                 (it.key() == "cache_seconds" && cache_seconds == defaults.cache_seconds) ||
                 (it.key() == "timeout_ms" && timeout_ms == defaults.timeout_ms);
    it = unset ? record.erase(it) : std::next(it);
  }
  return record;
}

bool McpServerSettings::offers(const std::string& tool) const {
  if (!allow.empty() && std::find(allow.begin(), allow.end(), tool) == allow.end()) return false;
  return std::find(deny.begin(), deny.end(), tool) == deny.end();
}

std::vector<McpServerSettings> mcp_server_settings(const nlohmann::json& gateway_fields) {
  std::vector<McpServerSettings> servers;
  if (!gateway_fields.is_object()) return servers;
  auto block = gateway_fields.find("mcp_servers");
  if (block == gateway_fields.end() || !block->is_array()) return servers;
  for (const auto& record : *block) {
    if (!record.is_object()) continue;
    McpServerSettings server;
    server.name = text(record, "name");
    server.command = text(record, "command");
    server.args = texts(record, "args");
    server.environment = texts(record, "env");
    server.working_directory = text(record, "cwd");
    server.url = text(record, "url");
    server.headers = texts(record, "headers");
    server.allow = texts(record, "allow");
    server.deny = texts(record, "deny");
    server.prefix = text(record, "prefix");
    if (record.contains("cache_seconds") && record["cache_seconds"].is_number_integer())
      server.cache_seconds = record["cache_seconds"].get<int>();
    if (record.contains("timeout_ms") && record["timeout_ms"].is_number_integer())
      server.timeout_ms = record["timeout_ms"].get<int>();
    servers.push_back(std::move(server));
  }
  return servers;
}

}  // namespace weir
