#include "core/tools/mcp_server_source.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/utf8.hpp"

namespace weir {

namespace {

// A progress message is a status line, not a payload.
constexpr size_t kMostProgressMessage = 500;

using nlohmann::json;

const std::string* text_member(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get_ptr<const std::string*>() : nullptr;
}

[[noreturn]] void nonsense(const std::string& owner, const std::string& what) {
  throw Error(ErrorKind::upstream, owner + " answered a tool call with " + what + "; check the server");
}

}  // namespace

std::string mcp_tool_function_name(const std::string& mcp_name) {
  std::string name;
  for (char character : mcp_name) {
    bool plain = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                 (character >= '0' && character <= '9') || character == '_' || character == '-';
    name += plain ? character : '_';
  }
  if (name.size() > 64) name.resize(64);
  return name;
}

std::vector<std::string> mcp_tool_function_names(const std::vector<std::string>& mcp_names) {
  std::vector<std::string> names;
  std::set<std::string> taken;
  for (const auto& mcp_name : mcp_names) {
    auto name = mcp_tool_function_name(mcp_name);
    for (int suffix = 2; taken.count(name) != 0; ++suffix) {
      auto tail = "_" + std::to_string(suffix);
      name = mcp_tool_function_name(mcp_name).substr(0, 64 - tail.size()) + tail;
    }
    taken.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

ToolOutput mcp_tool_output(const json& result, const std::string& owner) {
  if (!result.is_object()) nonsense(owner, "a result that is not an object");
  ToolOutput output;
  std::vector<std::string> texts;
  auto content = result.find("content");
  if (content != result.end() && !content->is_array()) nonsense(owner, "a content that is not an array");
  if (content != result.end()) {
    for (const auto& part : *content) {
      const auto* type = text_member(part, "type");
      if (type == nullptr) nonsense(owner, "a content part without a type");
      if (*type == "text") {
        const auto* text = text_member(part, "text");
        if (text == nullptr) nonsense(owner, "a text part without text");
        texts.push_back(*text);
      } else if (*type == "image") {
        const auto* data = text_member(part, "data");
        const auto* mime = text_member(part, "mimeType");
        if (data == nullptr || mime == nullptr || mime->rfind("image/", 0) != 0)
          nonsense(owner, "an image part without base64 data and an image/ mimeType");
        output.images.push_back({{"type", "image_url"}, {"image_url", {{"url", "data:" + *mime + ";base64," + *data}}}});
      } else if (*type == "resource") {
        const auto& resource = part.contains("resource") ? part["resource"] : json();
        const auto* uri = text_member(resource, "uri");
        if (const auto* text = text_member(resource, "text"))
          texts.push_back(*text);
        else
          texts.push_back("[binary resource " + (uri ? *uri : std::string("without a uri")) + "]");
      } else if (*type == "resource_link") {
        const auto* uri = text_member(part, "uri");
        texts.push_back("resource: " + (uri ? *uri : std::string("(no uri)")));
      } else if (*type == "audio") {
        texts.push_back("[audio omitted: weir passes only text and images to the model]");
      }
    }
  }
  std::string text;
  for (const auto& piece : texts) text += (text.empty() ? "" : "\n\n") + piece;
  auto structured = result.find("structuredContent");
  if (structured != result.end() && !structured->is_null()) {
    auto dumped = structured->dump(-1, ' ', false, json::error_handler_t::replace);
    // Servers usually repeat it as text; say it once.
    auto already = read_json(text);
    if (!(already.ok() && already.value == *structured)) text += (text.empty() ? "" : "\n\n") + dumped;
  }
  auto error = result.find("isError");
  output.failed = error != result.end() && error->is_boolean() && error->get<bool>();
  if (output.failed && text.empty()) text = owner + " reported a failure without a message";
  output.text = std::move(text);
  return output;
}

McpServerSource::McpServerSource(std::shared_ptr<McpServerConnection> connection, std::string user,
                                 std::string conversation, const CancelToken& cancel)
    : connection_(std::move(connection)), user_(std::move(user)), conversation_(std::move(conversation)) {
  std::vector<json> tools;
  std::vector<std::string> mcp_names;
  for (const auto& tool : connection_->tools(cancel)) {
    const auto& name = tool["name"].get_ref<const std::string&>();
    if (!connection_->settings().offers(name)) continue;
    tools.push_back(tool);
    mcp_names.push_back(name);
  }
  auto function_names = mcp_tool_function_names(mcp_names);
  for (size_t index = 0; index < tools.size(); ++index) {
    const auto& tool = tools[index];
    const auto& name = mcp_names[index];
    const auto& function_name = function_names[index];
    json parameters = tool.contains("inputSchema") && tool["inputSchema"].is_object()
                          ? tool["inputSchema"]
                          : json{{"type", "object"}, {"properties", json::object()}};
    parameters.erase("$schema");  // some upstreams refuse keywords they do not know
    json function = {{"name", function_name}, {"parameters", std::move(parameters)}};
    if (const auto* description = text_member(tool, "description")) function["description"] = *description;
    definitions_.push_back({{"type", "function"}, {"function", std::move(function)}});
    mcp_names_[function_name] = name;
  }
}

ToolOutput call_mcp_tool(McpServerConnection& connection, const std::string& mcp_name, const ToolCall& call,
                         const std::string& user, const std::string& conversation, const ToolCallContext& context) {
  json arguments = json::object();
  if (!call.arguments.empty()) {
    auto parsed = read_json(call.arguments);
    if (!parsed.ok() || !parsed.value.is_object())
      throw Error(ErrorKind::usage, "the arguments of '" + call.name + "' must be a JSON object");
    arguments = std::move(parsed.value);
  }
  json meta = json::object();
  if (!user.empty()) meta["weir/user"] = user;
  if (!conversation.empty()) meta["weir/conversation"] = conversation;
  // The server's notifications/progress params, as the caller's progress.
  auto progress = [&context](const json& params) {
    ToolProgress report;
    if (params.contains("progress") && params["progress"].is_number()) report.progress = params["progress"].get<double>();
    if (params.contains("total") && params["total"].is_number()) report.total = params["total"].get<double>();
    if (const auto* message = text_member(params, "message")) report.message = utf8_prefix(*message, kMostProgressMessage);
    context.progress(report);
  };
  return mcp_tool_output(connection.call(mcp_name, arguments, meta, context.cancel, progress),
                         connection.settings().owner());
}

ToolOutput McpServerSource::run(const ToolCall& call, const ToolCallContext& context) {
  auto name = mcp_names_.find(call.name);
  if (name == mcp_names_.end()) throw Error(ErrorKind::usage, owner() + " has no tool named '" + call.name + "'");
  return call_mcp_tool(*connection_, name->second, call, user_, conversation_, context);
}

}  // namespace weir
