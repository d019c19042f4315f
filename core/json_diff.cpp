#include "core/json_diff.hpp"

namespace weir {

using nlohmann::json;

namespace {

void compare(const std::string& path, const json& before, const json& after, std::vector<FieldChange>& changes) {
  if (before == after) return;
  if (before.is_object() && after.is_object()) {
    for (const auto& [key, value] : before.items()) {
      auto other = after.find(key);
      auto at = path + "/" + json_pointer_token(key);
      if (other == after.end())
        changes.push_back({at, ChangeKind::removed, value, nullptr});
      else
        compare(at, value, *other, changes);
    }
    for (const auto& [key, value] : after.items())
      if (!before.contains(key)) changes.push_back({path + "/" + json_pointer_token(key), ChangeKind::added, nullptr, value});
    return;
  }
  if (before.is_array() && after.is_array() && before.size() == after.size()) {
    for (size_t index = 0; index < before.size(); ++index)
      compare(path + "/" + std::to_string(index), before[index], after[index], changes);
    return;
  }
  changes.push_back({path, ChangeKind::changed, before, after});
}

}  // namespace

std::vector<FieldChange> diff_json(const json& before, const json& after, const std::string& path) {
  std::vector<FieldChange> changes;
  compare(path, before, after, changes);
  return changes;
}

std::string json_pointer_token(const std::string& key) {
  std::string token;
  for (char character : key) {
    if (character == '~')
      token += "~0";
    else if (character == '/')
      token += "~1";
    else
      token += character;
  }
  return token;
}

std::string describe_change(const FieldChange& change) {
  switch (change.kind) {
    case ChangeKind::added:
      return change.field + ": added " + change.after.dump();
    case ChangeKind::removed:
      return change.field + ": removed (was " + change.before.dump() + ")";
    case ChangeKind::changed:
      break;
  }
  return change.field + ": " + change.before.dump() + " -> " + change.after.dump();
}

const char* change_kind_name(ChangeKind kind) {
  static const char* kinds[] = {"added", "removed", "changed"};
  return kinds[static_cast<int>(kind)];
}

json change_to_json(const FieldChange& change) {
  return {{"field", change.field}, {"change", change_kind_name(change.kind)}, {"old", change.before}, {"new", change.after}};
}

}  // namespace weir
