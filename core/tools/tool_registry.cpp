#include "core/tools/tool_registry.hpp"

#include "core/error.hpp"

namespace weir {

std::string tool_definition_name(const nlohmann::json& tool) {
  if (!tool.is_object()) return {};
  auto function = tool.find("function");
  if (function == tool.end() || !function->is_object()) return {};
  auto name = function->find("name");
  return name != function->end() && name->is_string() ? name->get<std::string>() : std::string();
}

void ToolRegistry::add(std::shared_ptr<ToolSource> source) {
  std::map<std::string, ToolSource*> added;
  for (const auto& tool : source->definitions()) {
    auto name = tool_definition_name(tool);
    if (name.empty()) throw Error(ErrorKind::runtime, source->owner() + " offers a tool without a name");
    auto existing = owners_.find(name);
    if (existing != owners_.end())
      throw Error(ErrorKind::usage, "two tool sources offer a tool named '" + name + "': " + existing->second->owner() +
                                        " and " + source->owner() + "; rename one of them");
    if (!added.emplace(name, source.get()).second)
      throw Error(ErrorKind::usage, source->owner() + " offers two tools named '" + name + "'");
  }
  owners_.merge(added);
  sources_.push_back(std::move(source));
}

void ToolRegistry::check_client_tools(const nlohmann::json& client_tools) const {
  if (!client_tools.is_array()) return;
  for (const auto& tool : client_tools) {
    auto name = tool_definition_name(tool);
    auto owner = owners_.find(name);
    if (owner != owners_.end())
      throw Error(ErrorKind::usage, "the request defines a tool named '" + name + "', which is also a tool of " +
                                        owner->second->owner() + " on this gateway; rename the request's tool");
  }
}

bool ToolRegistry::handles(const std::string& tool_name) const { return owners_.count(tool_name) > 0; }

nlohmann::json ToolRegistry::definitions() const {
  auto tools = nlohmann::json::array();
  for (const auto& source : sources_)
    for (const auto& tool : source->definitions()) tools.push_back(tool);
  return tools;
}

bool ToolRegistry::hidden(const std::string& tool_name) const {
  for (const auto& source : sources_)
    if (source->hides(tool_name)) return true;
  return false;
}

nlohmann::json ToolRegistry::offered_definitions() const {
  auto tools = nlohmann::json::array();
  for (const auto& source : sources_)
    for (const auto& tool : source->definitions())
      if (!hidden(tool_definition_name(tool))) tools.push_back(tool);
  return tools;
}

void ToolRegistry::prepare_turn(ChatRequest& request) const {
  for (const auto& source : sources_) source->prepare_turn(request.messages);
  auto tools = nlohmann::json::array();
  if (request.tools.is_array())
    for (const auto& tool : request.tools)
      if (!handles(tool_definition_name(tool))) tools.push_back(tool);
  for (auto& tool : offered_definitions()) tools.push_back(std::move(tool));
  request.tools = std::move(tools);
}

ToolOutput ToolRegistry::run(const ToolCall& call, const ToolCallContext& context) const {
  auto owner = owners_.find(call.name);
  if (owner == owners_.end()) throw Error(ErrorKind::usage, "there is no tool named '" + call.name + "'");
  if (hidden(call.name))
    throw Error(ErrorKind::usage, "the tool '" + call.name +
                                      "' is not available yet; read a skill that allows it with read_skill first");
  return owner->second->run(call, context);
}

}  // namespace weir
