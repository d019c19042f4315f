#include "mcp/tool_source_tools.hpp"

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "mcp/tool_errors.hpp"

namespace weir::mcp {

using json = nlohmann::json;
using protocol::CallContext;
using protocol::ToolResult;

namespace {

// An OpenAI image_url part with a data URL as MCP image content.
json image_content(const json& part) {
  auto url = part.value("/image_url/url"_json_pointer, std::string());
  auto comma = url.find(',');
  if (!url.starts_with("data:") || comma == std::string::npos) return nullptr;
  auto media = url.substr(5, url.find(';') - 5);
  return {{"type", "image"}, {"data", url.substr(comma + 1)}, {"mimeType", media}};
}

}  // namespace

void add_tool_source_tools(protocol::ToolSet& tools, std::shared_ptr<ToolSource> source) {
  for (const auto& definition : source->definitions()) {
    const auto& function = definition.at("function");
    protocol::ToolDefinition tool;
    tool.name = function.value("name", std::string());
    tool.description = function.value("description", std::string());
    tool.input_schema = function.value("parameters", json{{"type", "object"}});
    tool.source = source->owner();
    auto name = tool.name;
    tools.add(std::move(tool), [source, name](const json& arguments, CallContext& context) {
      CancelToken cancel;
      context.on_cancel([cancel] { cancel.cancel(); });
      ToolCall call;
      call.id = "mcp";
      call.name = name;
      call.arguments = arguments.is_null() ? "{}" : arguments.dump(-1, ' ', false, json::error_handler_t::replace);
      double reports = 0;
      ToolCallContext call_context(cancel, [&context, &reports](const ToolProgress& report) {
        if (!context.wants_progress()) return;
        reports = std::max(reports + 1, report.progress);
        context.progress(reports, report.total, report.message);
      });
      try {
        auto output = source->run(call, call_context);
        auto result = output.failed ? ToolResult::error(output.text) : ToolResult::text(output.text);
        for (const auto& part : output.images)
          if (auto image = image_content(part); !image.is_null()) result.content.push_back(image);
        return result;
      } catch (const Error& error) {
        return tool_error(error);
      }
    });
  }
}

}  // namespace weir::mcp
