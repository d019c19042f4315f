#include "mcp/proxied_servers.hpp"

#include <future>
#include <memory>
#include <optional>
#include <ostream>

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "core/json_schema.hpp"
#include "core/provider/json_fields.hpp"
#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/proxied_tool_names.hpp"
#include "mcp/tool_errors.hpp"

namespace weir::mcp {

using json = nlohmann::json;
using protocol::CallContext;
using protocol::ToolResult;

namespace {

struct ProxiedTool {
  std::shared_ptr<McpServerConnection> connection;
  json tool;         // the server's Tool object
  std::string name;  // what weir offers it as
};

// The server's schema, compiled once; nullopt when the schema uses what the
// validator cannot read (the server still checks it).
std::optional<JsonSchema> input_schema(const json& schema, const std::string& what, std::ostream& warnings) {
  try {
    return JsonSchema::compile(schema, what);
  } catch (const Error& error) {
    warnings << "weir: arguments of " << what << " are not checked before a call: " << error.what() << '\n';
    return std::nullopt;
  }
}

void add_tool(protocol::ToolSet& tools, const ProxiedTool& proxied, std::ostream& warnings) {
  const auto& tool = proxied.tool;
  const auto server_name = string_member(tool, "name");
  const auto owner = proxied.connection->settings().owner();
  protocol::ToolDefinition definition;
  definition.name = proxied.name;
  definition.source = owner;
  definition.title = string_member(tool, "title");
  definition.description = string_member(tool, "description");
  if (tool.contains("inputSchema") && tool["inputSchema"].is_object()) definition.input_schema = tool["inputSchema"];
  if (tool.contains("outputSchema") && tool["outputSchema"].is_object()) definition.output_schema = tool["outputSchema"];
  if (tool.contains("annotations") && tool["annotations"].is_object()) definition.annotations = tool["annotations"];
  auto schema = input_schema(definition.input_schema, "tool '" + server_name + "' of " + owner, warnings);
  auto connection = proxied.connection;
  tools.add(std::move(definition), [connection, server_name, owner, schema = std::move(schema)](
                                       const json& given, CallContext& context) {
    json arguments = given.is_null() ? json::object() : given;
    if (schema) {
      auto violations = schema->validate(arguments);
      if (!violations.empty())
        return ToolResult::error("invalid arguments for '" + server_name + "' (nothing was sent to " + owner +
                                 "): " + describe_violations(violations));
    }
    CancelToken cancel;
    context.on_cancel([cancel] { cancel.cancel(); });
    // The server's progress, as this call's: MCP wants it to grow.
    std::optional<double> last;
    auto on_progress = [&context, &last](const json& params) {
      if (!context.wants_progress() || !params.contains("progress") || !params["progress"].is_number()) return;
      auto value = params["progress"].get<double>();
      if (last && !(value > *last)) return;
      last = value;
      std::optional<double> total;
      if (params.contains("total") && params["total"].is_number()) total = params["total"].get<double>();
      context.progress(value, total, string_member(params, "message"));
    };
    try {
      auto result = connection->call(server_name, arguments, json::object(), cancel, on_progress);
      ToolResult forwarded;
      if (result.contains("content") && result["content"].is_array()) forwarded.content = result["content"];
      if (result.contains("structuredContent")) {
        forwarded.structured_content = result["structuredContent"];
        // A client older than structuredContent reads content only.
        if (forwarded.content.empty())
          forwarded.content.push_back({{"type", "text"}, {"text", forwarded.structured_content.dump()}});
      }
      auto is_error = result.find("isError");
      forwarded.is_error = is_error != result.end() && is_error->is_boolean() && is_error->get<bool>();
      return forwarded;
    } catch (const Error& error) {
      return tool_error(error);
    }
  });
}

}  // namespace

void add_proxied_server_tools(protocol::ToolSet& tools, const std::vector<McpServerSettings>& servers,
                              const std::string& log_directory, std::ostream& warnings) {
  // Every server is started and listed at once: a slow one (an `npx` that
  // downloads) delays the start by its own time, not by the sum.
  std::vector<std::shared_ptr<McpServerConnection>> connections;
  std::vector<std::future<json>> listings;
  for (const auto& settings : servers) {
    connections.push_back(McpServerPool::shared().connection(settings, log_directory));
    listings.push_back(std::async(std::launch::async, [connection = connections.back()] {
      CancelToken never;
      return connection->tools(never);
    }));
  }
  std::vector<json> listed;
  for (size_t index = 0; index < servers.size(); ++index) {
    try {
      listed.push_back(listings[index].get());
    } catch (const Error& error) {
      warnings << "weir: not served (" << servers[index].owner() << " is down: " << error.what() << ")\n";
      listed.push_back(nullptr);
    }
  }
  std::vector<std::string> taken, left_out;
  for (const auto& registered : tools.tools()) taken.push_back(registered.definition.name);
  auto named = name_proxied_tools(servers, listed, taken, left_out);
  for (const auto& reason : left_out) warnings << "weir: not served (" << reason << ")\n";
  for (auto& tool : named) {
    ProxiedTool proxied{connections[tool.server], std::move(tool.tool), tool.name};
    try {
      add_tool(tools, proxied, warnings);
    } catch (const std::invalid_argument& clash) {
      warnings << "weir: not served (tool '" << proxied.name << "' of " << proxied.connection->settings().owner()
               << ": " << clash.what() << ")\n";
    }
  }
}

}  // namespace weir::mcp
