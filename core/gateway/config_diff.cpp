#include "core/gateway/config_diff.hpp"

#include <set>

#include "core/gateway/config_schema.hpp"

namespace weir {

namespace {

using nlohmann::json;

json member(const json& object, const std::string& key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? json(nullptr) : *it;
}

void compare(const std::string& path, const json& before, const json& after, std::vector<FieldChange>& changes) {
  if (before == after) return;
  if (before.is_null())
    changes.push_back({path, ChangeKind::added, nullptr, after});
  else if (after.is_null())
    changes.push_back({path, ChangeKind::removed, before, nullptr});
  else
    changes.push_back({path, ChangeKind::changed, before, after});
}

// Keys of both objects that are not in `known`, sorted.
std::set<std::string> other_keys(const json& before, const json& after, const std::set<std::string>& known) {
  std::set<std::string> keys;
  for (const json* object : {&before, &after})
    if (object->is_object())
      for (const auto& [key, value] : object->items())
        if (!known.count(key)) keys.insert(key);
  return keys;
}

void compare_block(const std::string& path, const std::vector<FieldSchema>& fields, const json& before,
                   const json& after, std::vector<FieldChange>& changes) {
  std::set<std::string> known;
  for (const auto& field : fields) {
    std::string name(field.name);
    known.insert(name);
    auto left = member(before, name), right = member(after, name);
    if (field.type == FieldType::block && (left.is_object() || right.is_object()))
      compare_block(path + name + ".", *field.fields, left, right, changes);
    else
      compare(path + name, left, right, changes);
  }
  for (const auto& key : other_keys(before, after, known))
    compare(path + key, member(before, key), member(after, key), changes);
}

}  // namespace

std::vector<FieldChange> diff_configs(const json& before, const json& after) {
  std::vector<FieldChange> changes;
  compare_block("", gateway_schema(), before, after, changes);
  return changes;
}

}  // namespace weir
