// McpServerSource — the tools of one MCP server (a gateway's `mcp_servers`
// record) offered to the model as server-side tools.
//
// Contract:
// - Construction lists the server's tools through its pooled connection
//   (mcp_server_pool.hpp), starting the server if needed; a server that
//   cannot be started or listed is Error(upstream) naming it, so the request
//   fails before the model is called. `allow`, when set, keeps only those
//   tools, and `deny` drops its tools. Tool names the model sees are the server's, with characters
//   outside [A-Za-z0-9_-] turned to '_' and at most 64 long; the registry
//   refuses names two sources share.
// - run() calls the tool with the model's arguments (a JSON object, else
//   Error(usage) back to the model) and `_meta` {"weir/user",
//   "weir/conversation"} when the request has them. The result becomes a
//   ToolOutput: text parts (and embedded text resources, resource links as
//   their URI) joined by blank lines; structuredContent as its JSON text when
//   the text does not already hold it; image parts as image_url content parts
//   (data: URLs); isError makes it a failed call. A result of the wrong shape
//   is Error(upstream).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

// The OpenAI function name for an MCP tool name.
std::string mcp_tool_function_name(const std::string& mcp_name);
// The function names of one server's tools, in order: each as above, and one
// that repeats an earlier name ("a.b" beside "a_b") gets "_2", "_3", ... so
// every tool stays callable instead of two definitions sharing a name.
std::vector<std::string> mcp_tool_function_names(const std::vector<std::string>& mcp_names);
// A CallToolResult as a ToolOutput (the rules above); `owner` names the server in errors.
ToolOutput mcp_tool_output(const nlohmann::json& result, const std::string& owner);

// One call of the server's tool `mcp_name` with `call`'s arguments, as run()
// below makes it (`call.name` is only for messages): the arguments must be a
// JSON object (Error(usage)), `user` and `conversation` go in `_meta` when set,
// the server's progress is the context's.
ToolOutput call_mcp_tool(McpServerConnection& connection, const std::string& mcp_name, const ToolCall& call,
                         const std::string& user, const std::string& conversation, const ToolCallContext& context);

class McpServerSource final : public ToolSource {
 public:
  McpServerSource(std::shared_ptr<McpServerConnection> connection, std::string user, std::string conversation,
                  const CancelToken& cancel);

  std::string owner() const override { return connection_->settings().owner(); }
  nlohmann::json definitions() const override { return definitions_; }
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;

 private:
  std::shared_ptr<McpServerConnection> connection_;
  std::string user_;
  std::string conversation_;
  nlohmann::json definitions_ = nlohmann::json::array();
  std::map<std::string, std::string> mcp_names_;  // function name -> the server's tool name
};

}  // namespace weir
