#include "core/tools/tool_changes.hpp"

#include <map>

namespace weir {

using json = nlohmann::json;

namespace {

std::map<std::string, const json*> by_name(const json& tools) {
  std::map<std::string, const json*> named;
  if (!tools.is_array()) return named;
  for (const auto& tool : tools)
    if (tool.is_object() && tool.contains("name") && tool["name"].is_string())
      named.emplace(tool["name"].get<std::string>(), &tool);
  return named;
}

}  // namespace

ToolChanges diff_tools(const json& before, const json& after) {
  ToolChanges changes;
  auto earlier = by_name(before), later = by_name(after);
  if (after.is_array())
    for (const auto& tool : after) {
      if (!tool.is_object() || !tool.contains("name") || !tool["name"].is_string()) continue;
      auto name = tool["name"].get<std::string>();
      auto found = earlier.find(name);
      if (found == earlier.end()) {
        changes.added.push_back(tool);
        continue;
      }
      auto differences = diff_json(*found->second, tool);
      if (!differences.empty()) changes.changed.push_back({name, std::move(differences)});
    }
  if (before.is_array())
    for (const auto& tool : before)
      if (tool.is_object() && tool.contains("name") && tool["name"].is_string() &&
          !later.count(tool["name"].get<std::string>()))
        changes.removed.push_back(tool);
  return changes;
}

std::string ToolChanges::summary() const {
  std::string text;
  auto part = [&text](size_t count, const char* what) {
    if (count > 0) text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + what;
  };
  part(added.size(), "added");
  part(removed.size(), "removed");
  part(changed.size(), "changed");
  return text.empty() ? "no change" : text;
}

json ToolChanges::to_json() const {
  json changed_list = json::array();
  for (const auto& tool : changed) {
    json list = json::array();
    for (const auto& change : tool.changes)
      list.push_back({{"path", change.field},
                      {"change", change_kind_name(change.kind)},
                      {"old", change.before},
                      {"new", change.after}});
    changed_list.push_back({{"name", tool.name}, {"changes", list}});
  }
  return {{"added", added}, {"removed", removed}, {"changed", changed_list}};
}

}  // namespace weir
