// ToolSet — the tools one MCP session offers: definitions for `tools/list`
// and the handlers `tools/call` runs.
//
// Contract: built once (add() before any session uses it), then shared
// read-only by sessions (std::shared_ptr<const ToolSet>); find() and
// definitions() are safe from any thread after that. Handlers run on a
// call's own thread and may run concurrently with each other.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcp/protocol/call_context.hpp"
#include "mcp/protocol/tool.hpp"

namespace weir::mcp::protocol {

// Throw ProtocolError for a JSON-RPC error; return ToolResult::error for a
// failure the model should see.
using ToolHandler = std::function<ToolResult(const nlohmann::json& arguments, CallContext& context)>;

struct RegisteredTool {
  ToolDefinition definition;
  ToolHandler handler;
};

class ToolSet {
 public:
  // Throws std::invalid_argument when the name is already taken.
  void add(ToolDefinition definition, ToolHandler handler);
  // Replaces the handler of `name` by what `wrapper` makes of it (a check
  // run before the call, say); false when no tool has that name. Like add(),
  // only while no session uses the set.
  bool wrap(const std::string& name, const std::function<ToolHandler(ToolHandler)>& wrapper);
  const RegisteredTool* find(const std::string& name) const;  // nullptr when unknown
  const std::vector<RegisteredTool>& tools() const { return tools_; }

 private:
  std::vector<RegisteredTool> tools_;
  std::map<std::string, size_t> index_;
};

}  // namespace weir::mcp::protocol
