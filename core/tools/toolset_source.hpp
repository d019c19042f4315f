// ToolsetSource — stored tool sets (toolsets.hpp) as one of a gateway's
// tool sources (`toolsets: [NAME, ...]` in its config): the model is offered
// the tools an MCP client of `weir mcp serve --toolset NAME ...` is, so one
// governed set of tools serves both.
//
// Contract:
// - Construction reads each set's newest sources (toolset_sources():
//   Error(not_found) naming the sets there are), joined as `weir mcp serve`
//   joins them (a source two sets share once, their limits at the
//   strictest: ToolSources::append), and lists them as
//   list_offered_tools() does: every source must answer, else its Error, so
//   the request fails before the model is called. OpenAPI documents come
//   from the process's cache (openapi_service_cache.hpp) and MCP servers'
//   tools from their pooled connections, so a request pays for neither
//   once they are warm.
// - The model sees each tool under the set's name for it made fit for a
//   function name (mcp_tool_function_names(): characters outside
//   [A-Za-z0-9_-] become '_', at most 64), with its description and input
//   schema.
// - run() sends an OpenAPI tool's call as OpenApiToolSource::run() does and
//   an MCP server's as McpServerSource does (with `_meta` user and
//   conversation), under the tool's limits (tool_limits.hpp) when the set
//   has any.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cancellation.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

class Database;
class McpServerConnection;
class ToolCallLimiter;

struct ToolsetSourceInput {
  std::vector<std::string> names;  // the tool sets'

  std::string log_directory;  // where started MCP servers log
  std::string user;           // the request's, for MCP `_meta`
  std::string conversation;
};

class ToolsetSource final : public ToolSource {
 public:
  ToolsetSource(Database& database, ToolsetSourceInput input, const CancelToken& cancel);

  std::string owner() const override;
  nlohmann::json definitions() const override { return definitions_; }
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;

 private:
  // Where a function name leads: an OpenAPI source's tool, or a server's.
  struct Target {
    std::shared_ptr<ToolSource> openapi;
    std::shared_ptr<McpServerConnection> server;
    std::string source_name;  // the tool's name at its source
    std::shared_ptr<ToolCallLimiter> limiter;  // null: no limits
  };

  ToolsetSourceInput input_;
  nlohmann::json definitions_ = nlohmann::json::array();
  std::unordered_map<std::string, Target> targets_;
};

}  // namespace weir
