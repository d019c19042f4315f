#include "mcp/gateway_tool.hpp"

#include "core/cancellation.hpp"
#include "core/engine/engine.hpp"
#include "mcp/tool_errors.hpp"

namespace weir::mcp {

using json = nlohmann::json;
using protocol::CallContext;
using protocol::ToolResult;

void add_gateway_tool(protocol::ToolSet& tools, const GatewayToolConfig& config, DatabasePool& pool,
                      const GatewayCaller& caller, GatewayToolServices services) {
  protocol::ToolDefinition definition;
  definition.name = config.name();
  definition.source = "gateway '" + config.gateway + "'";
  definition.title = config.title.empty() ? "Ask " + config.gateway : config.title;
  definition.description =
      config.description.empty()
          ? "Sends a prompt to the AI model behind the weir gateway '" + config.gateway +
                "' (with its own instructions and knowledge) and returns its answer as text."
          : config.description;
  definition.input_schema = {
      {"type", "object"},
      {"properties", {{"prompt", {{"type", "string"}, {"description", "The message to send to the model"}}}}},
      {"required", {"prompt"}},
      {"additionalProperties", false}};
  definition.annotations = {{"readOnlyHint", true}, {"openWorldHint", true}};

  auto name = definition.name;
  tools.add(std::move(definition), [config, name, caller, services, &pool](const json& arguments, CallContext& context) {
    auto prompt = arguments.find("prompt");
    if (prompt == arguments.end() || !prompt->is_string() || prompt->get_ref<const std::string&>().empty())
      return ToolResult::error("'prompt' is required: a non-empty string with the message for the model.");
    for (const auto& item : arguments.items())
      if (item.key() != "prompt")
        return ToolResult::error("unknown argument '" + item.key() + "'; " + name + " takes only 'prompt'.");

    CancelToken cancel;
    context.on_cancel([cancel] { cancel.cancel(); });

    ChatInput input;
    input.target = config.gateway;
    input.messages = json::array({{{"role", "user"}, {"content", *prompt}}});
    input.stream = true;
    input.front_door = caller.front_door;
    input.caller = caller.caller;
    input.metadata = {{"tool", name}};
    input.user = caller.user;
    if (!caller.user.empty()) input.metadata["user"] = caller.user;
    if (!caller.caller.key_name.empty()) input.metadata["api_key"] = caller.caller.key_name;

    // MCP progress must grow with every notification: characters of the
    // answer so far plus one for each report of a server-side tool.
    size_t characters = 0, tool_reports = 0;
    auto on_delta = [&context, &characters, &tool_reports](const StreamDelta& delta) {
      if (!context.wants_progress()) return;
      if (delta.server_tool && delta.server_tool->progress) {
        const auto& report = *delta.server_tool->progress;
        ++tool_reports;
        std::string message = delta.server_tool->name + ": " + format_tool_progress(report);
        context.progress(static_cast<double>(characters + tool_reports), std::nullopt, message);
        return;
      }
      if (delta.content.empty()) return;
      characters += delta.content.size();
      context.progress(static_cast<double>(characters + tool_reports), std::nullopt, delta.content);
    };
    try {
      auto database = pool.acquire();
      EngineOptions options;
      options.shared_searcher = services.searcher ? &services.searcher->searcher() : nullptr;
      options.metrics = services.metrics;
      Engine engine(*database, pool.paths(), options);
      auto result = engine.run(input, on_delta, cancel);
      auto answer = ToolResult::text(result.completion.content);
      // A gateway with a response schema answers validated JSON: it is the
      // result's structuredContent too (an object, so a non-object answer is
      // wrapped as {"result": ...}), and the text block holds the same JSON.
      if (!result.structured.is_null())
        answer.structured_content =
            result.structured.is_object() ? result.structured : json{{"result", result.structured}};
      return answer;
    } catch (const Error& error) {
      return tool_error(error);
    }
  });
}

}  // namespace weir::mcp
