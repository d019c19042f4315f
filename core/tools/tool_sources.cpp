#include "core/tools/tool_sources.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"
#include "core/tools/tool_limits.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw Error(ErrorKind::usage, source + ": " + message);
}

void check_mcp_server_records(const json& records) {
  check_field_value("mcp_servers", *find_field_schema("mcp_servers"), records);
}

}  // namespace

void ToolSources::add_json(const json& document, const std::string& source) {
  if (!document.is_object()) fail(source, "must be a JSON object");
  if (document.contains("mcp_servers")) {
    const auto& block = document["mcp_servers"];
    if (!block.is_array()) fail(source, "'mcp_servers' must be an array");
    try {
      check_mcp_server_records(block);
    } catch (const Error& error) {
      fail(source, error.what());
    }
    for (auto& server : mcp_server_settings(json{{"mcp_servers", block}})) mcp_servers.push_back(std::move(server));
  }
  if (document.contains("tool_limits")) {
    check_tool_limits(document["tool_limits"], source);
    merge_tool_limits(tool_limits, document["tool_limits"]);
  }
  if (document.contains("openapi")) {
    if (!document["openapi"].is_array()) fail(source, "'openapi' must be an array");
    size_t index = 0;
    for (const auto& entry : document["openapi"])
      openapi_services.push_back(
          OpenApiServiceSettings::from_json(entry, source + ": openapi[" + std::to_string(index++) + "]"));
  }
}

ToolSources ToolSources::from_json(const json& document, const std::string& source) {
  if (!document.is_object()) fail(source, "must be a JSON object");
  for (const auto& item : document.items())
    if (item.key() != "openapi" && item.key() != "mcp_servers" && item.key() != "tool_limits")
      fail(source, "unknown key '" + item.key() + "' (known: mcp_servers, openapi, tool_limits)");
  ToolSources sources;
  sources.add_json(document, source);
  return sources;
}

json ToolSources::to_json() const {
  json document = json::object();
  for (const auto& service : openapi_services) document["openapi"].push_back(service.to_json());
  for (const auto& server : mcp_servers) document["mcp_servers"].push_back(server.record());
  if (!tool_limits.empty()) document["tool_limits"] = tool_limits;
  return document;
}

void ToolSources::validate() const {
  json records = json::array();
  for (const auto& server : mcp_servers) records.push_back(server.record());
  if (!records.empty()) check_mcp_server_records(records);
}

void ToolSources::append(const ToolSources& other) {
  // Two tool sets served together may share a source: it is served once.
  for (const auto& service : other.openapi_services) {
    auto record = service.to_json();
    if (std::none_of(openapi_services.begin(), openapi_services.end(),
                     [&](const OpenApiServiceSettings& kept) { return kept.to_json() == record; }))
      openapi_services.push_back(service);
  }
  for (const auto& server : other.mcp_servers) {
    auto record = server.record();
    if (std::none_of(mcp_servers.begin(), mcp_servers.end(),
                     [&](const McpServerSettings& kept) { return kept.record() == record; }))
      mcp_servers.push_back(server);
  }
  merge_tool_limits(tool_limits, other.tool_limits);
}

}  // namespace weir
