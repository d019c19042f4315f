#include "core/engine/hook_actions.hpp"

#include <functional>
#include <map>
#include <string_view>

#include "core/engine/document_injection.hpp"
#include "core/json_input.hpp"
#include "core/tools/tool_registry.hpp"

namespace weir {

namespace {

using MessageAction = void (*)(const json& action, ChatRequest& request, const std::string& hook);

std::string action_name(const json& action) { return action["action"].get<std::string>(); }

[[noreturn]] void bad_action(const std::string& hook, const json& action, const std::string& why) {
  hook_answer_unusable(hook, "the action '" + action_name(action) + "' " + why);
}

bool is_kept_by_clear(const json& message) {
  auto role = message.value("role", "");
  return role == "system" || role == "developer";
}

void clear_action(const json&, ChatRequest& request, const std::string&) {
  json kept = json::array();
  for (auto& message : request.messages)
    if (is_kept_by_clear(message)) kept.push_back(std::move(message));
  request.messages = std::move(kept);
}

void add_message_action(const json& action, ChatRequest& request, const std::string& hook) {
  auto role = action.value("role", json()).is_string() ? action["role"].get<std::string>() : std::string();
  if (role != "user" && role != "assistant" && role != "system" && role != "developer")
    bad_action(hook, action, "needs a \"role\" of user, assistant, system or developer");
  if (!action.contains("content") || (!action["content"].is_string() && !action["content"].is_array()))
    bad_action(hook, action, "needs a \"content\": text or an array of content parts");
  request.messages.push_back({{"role", role}, {"content", action["content"]}});
}

void remove_message_action(const json& action, ChatRequest& request, const std::string& hook) {
  const auto& index = action.value("index", json());
  if (!index.is_number_integer() || index.get<long long>() < 0 ||
      index.get<long long>() >= static_cast<long long>(request.messages.size()))
    bad_action(hook, action, "needs an \"index\" of a message, 0.." + std::to_string(request.messages.size()) +
                                 " exclusive, got " + index.dump());
  request.messages.erase(request.messages.begin() + index.get<long long>());
}

void add_system_action(const json& action, ChatRequest& request, const std::string& hook) {
  if (!action.contains("content") || !action["content"].is_string() || action["content"].get<std::string>().empty())
    bad_action(hook, action, "needs a \"content\" of text");
  append_to_system(request.messages, action["content"].get<std::string>());
}

void add_tool_action(const json& action, ChatRequest& request, const std::string& hook) {
  const auto& tool = action.value("tool", json());
  auto name = tool.is_object() ? tool_definition_name(tool) : std::string();
  if (name.empty() || tool.value("type", "") != "function")
    bad_action(hook, action, "needs a \"tool\": {\"type\": \"function\", \"function\": {\"name\", ...}}");
  for (const auto& offered : request.tools)
    if (tool_definition_name(offered) == name) bad_action(hook, action, "offers '" + name + "', which is already offered");
  request.tools.push_back(tool);
}

const std::map<std::string, MessageAction, std::less<>>& message_actions() {
  static const std::map<std::string, MessageAction, std::less<>> table = {
      {"clear", clear_action},
      {"add-message", add_message_action},
      {"remove-message", remove_message_action},
      {"add-system", add_system_action},
      {"add-tool", add_tool_action},
  };
  return table;
}

constexpr std::string_view kSetResult = "set-result";

}  // namespace

void apply_message_actions(const HookAnswer& answer, ChatRequest& request) {
  for (const auto& action : answer.actions) {
    auto found = message_actions().find(action_name(action));
    if (found == message_actions().end())
      bad_action(answer.hook->name, action,
                 "is not one message.received takes (clear, add-message, remove-message, add-system, add-tool)");
    found->second(action, request, answer.hook->name);
  }
}

std::optional<std::string> tool_result_action(const HookAnswer& answer) {
  std::optional<std::string> result;
  for (const auto& action : answer.actions) {
    if (action_name(action) != kSetResult)
      bad_action(answer.hook->name, action, "is not one tool.called takes (set-result)");
    if (!action.contains("content")) bad_action(answer.hook->name, action, "needs a \"content\"");
    const auto& content = action["content"];
    result = content.is_string() ? content.get<std::string>() : content.dump();
  }
  return result;
}

void run_message_received_hooks(HookDispatcher& hooks, ChatRequest& request, const CancelToken& cancel) {
  hooks.dispatch(
      kMessageReceived, [&request] { return json{{"messages", request.messages}, {"tools", request.tools}}; },
      [&request](const HookAnswer& answer) {
        apply_message_actions(answer, request);
        return true;
      },
      cancel);
}

std::optional<std::string> run_tool_called_hooks(HookDispatcher& hooks, const ToolCall& call,
                                                 const CancelToken& cancel) {
  std::optional<std::string> result;
  hooks.dispatch(
      kToolCalled,
      [&call] {
        // The model wrote the arguments: parsed under the input policy, kept as text when refused.
        auto parsed = read_json(call.arguments.empty() ? "{}" : call.arguments);
        return json{{"tool", {{"name", call.name},
                              {"id", call.id},
                              {"arguments", parsed.ok() ? std::move(parsed.value) : json(call.arguments)}}}};
      },
      [&result](const HookAnswer& answer) {
        result = tool_result_action(answer);
        return !result.has_value();
      },
      cancel);
  return result;
}

}  // namespace weir
