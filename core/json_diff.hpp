// JSON diff — what changed between two JSON values, as a list of changes a
// person can read and a script can parse.
//
// diff_json() compares two values structurally: objects key by key (keys in
// their sorted order), arrays of one length item by item, and anything else
// (an array that grew or shrank, a number, a string, a change of type) as a
// whole. Each change is named by the JSON Pointer (RFC 6901) of where it is,
// under `path`: "/properties/limit/maximum"; "" is the whole value. A key on
// one side only is added or removed. Gateway configurations use the same
// change records with their own field names (gateway/config_diff.hpp).
// Never throws.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

enum class ChangeKind { added, removed, changed };

struct FieldChange {
  std::string field;  // "temperature", "rag.top", "/input_schema/required"
  ChangeKind kind = ChangeKind::changed;
  nlohmann::json before;  // null when added
  nlohmann::json after;   // null when removed
};

std::vector<FieldChange> diff_json(const nlohmann::json& before, const nlohmann::json& after,
                                   const std::string& path = "");

// `key` escaped for a JSON Pointer ('~' as "~0", '/' as "~1").
std::string json_pointer_token(const std::string& key);

// "temperature: 0.5 -> 0.7", "rag.top: added 8", "system: removed (was \"x\")".
std::string describe_change(const FieldChange& change);
// "added", "removed" or "changed".
const char* change_kind_name(ChangeKind kind);
// {field, change: "added"|"removed"|"changed", old, new}
nlohmann::json change_to_json(const FieldChange& change);

}  // namespace weir
