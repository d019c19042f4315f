// McpServerSettings — one record of a gateway's `mcp_servers` block
// (config_schema.cpp checks it), read into the values the MCP tool source uses.
//
// Contract: mcp_server_settings() reads the block of a gateway's fields
// (already validated), defaults applied; an absent block is an empty list.
// key() identifies the server in the process-wide pool: two gateways with
// the same record share one running server.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

struct McpServerSettings {
  std::string name;
  std::string command;  // a stdio server, or
  std::vector<std::string> args;
  std::vector<std::string> environment;  // NAME=VALUE
  std::string working_directory;
  std::string url;  // a streamable-HTTP server
  std::vector<std::string> headers;  // "Name: value"
  std::vector<std::string> allow;  // empty: every tool
  std::vector<std::string> deny;   // never these
  std::string prefix;              // weir mcp serve: put before its tool names
  int cache_seconds = 600;
  int timeout_ms = 60'000;

  nlohmann::json to_json() const;
  // to_json() without the fields left empty or at their defaults: the record
  // a config file holds, as the gateway schema's mcp_servers block checks it
  // (which refuses args on a url server, headers on a command).
  nlohmann::json record() const;
  std::string key() const { return to_json().dump(); }
  // Whether `tool` passes allow and deny.
  bool offers(const std::string& tool) const;
  // "MCP server 'NAME'", for messages and the registry's owners.
  std::string owner() const { return "MCP server '" + name + "'"; }
};

std::vector<McpServerSettings> mcp_server_settings(const nlohmann::json& gateway_fields);

}  // namespace weir
