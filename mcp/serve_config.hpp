// ServeConfig — what `weir mcp serve` offers: gateways as `invoke_<name>`
// tools, sets of collections as `<name>_search` (and, when writable,
// `<name>_upsert` / `<name>_delete`) tools, and the operations of OpenAPI
// services as tools named by their operationIds, and the tools of other MCP
// servers it proxies (proxied_servers.hpp).
//
// It comes from the command-line flags (one gateway, one collection set) and
// from `--config FILE`, a JSON object with any number of each:
//   {"gateways":    [{"gateway": "support", "tool_name": "support",
//                     "tool_description": "...", "tool_title": "..."}],
//    "collections": [{"collections": ["docs", "faq"], "tool_name": "kb",
//                     "top_k": 5, "min_score": 0.2, "reranker": "lexical",
//                     "include_references": false, "allow_write": false}],
//    "openapi":     [{"document": "petstore.yaml", "base_url": "http://...",
//                     "headers": {"Authorization": "Bearer ${TOKEN}"},
//                     "operations": ["getPet"], "timeout_ms": 30000}],
//    "mcp_servers": [{"name": "files", "command": "npx", "args": [...],
//                     "allow": [...], "deny": [...], "prefix": "files_"},
//                    {"name": "search", "url": "https://...", "headers": [...]}],
//    "tool_limits": {"getPet": {"requests_per_minute": 60}}}
// (an mcp_servers record is the one a gateway's `mcp_servers` block holds,
// with `deny` and `prefix`; `openapi`, `mcp_servers` and `tool_limits` (of
// their tools, not weir's own) are read and checked
// as core/tools/tool_sources.hpp says, the same as a tool set's).
// Contract: from_json() and validate() throw Error(usage) naming the key or
// value at fault (unknown keys included); validate() also rejects two tools
// with one name (an OpenAPI tool's name is known once its document is read,
// so a clash with one is found then). Nothing here touches the store:
// gateways and collections are resolved on the first call; OpenAPI documents
// are read before the server starts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tools/tool_sources.hpp"

namespace weir::mcp {

struct GatewayToolConfig {
  std::string gateway;               // id, slug, name or @provider/model
  std::string tool_name = "ai_model";
  std::string description;           // default: says which gateway answers
  std::string title;

  std::string name() const;          // invoke_<identifier>
};

struct CollectionToolConfig {
  std::vector<std::string> collections;  // names or ids
  std::string tool_name;                 // default: the collection names joined by `_`
  int top_k = 5;                         // 1..128
  double min_score = 0.2;                // 0.01..0.99
  std::string reranker = "lexical";
  bool include_references = false;
  bool allow_write = false;

  std::string base_name() const;  // the identifier before _search, _upsert, _delete
};

// Its openapi_services and mcp_servers are ToolSources'.
struct ServeConfig : ToolSources {
  std::vector<GatewayToolConfig> gateways;
  std::vector<CollectionToolConfig> collection_sets;

  // Adds what a --config file holds.
  void add_json(const nlohmann::json& document, const std::string& source);
  void validate() const;
};

// The ranges validate() enforces, for callers that read these values from
// elsewhere (HTTP headers) and must name their own source: throw Error(usage)
// "<what> must be 1..128, got N".
void check_top_k(int top_k, std::string_view what);
void check_min_score(double min_score, std::string_view what);

// `--mcp-server NAME=URL` (a streamable-HTTP server) or NAME='COMMAND ARG...'
// (a stdio server; arguments split at spaces: use --config for arguments with
// spaces). Error(usage) naming the flag.
McpServerSettings mcp_server_from_flag(const std::string& text);

// Splits "a,b, c" into {"a", "b", "c"}, dropping empty parts.
std::vector<std::string> split_list(const std::string& text);

}  // namespace weir::mcp
