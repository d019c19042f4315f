// Config diff — what changed between two stored gateway configurations.
//
// Compares the fields the user set (GatewayConfig::fields(), or a revision's
// stored config) field by field in schema order, descending into nested
// blocks so a change inside `rag` reads as `rag.top`. A field set on one side
// only is added or removed; a whole block appearing or going is reported key
// by key. Keys the schema does not know (a config from another weir) are
// compared too, after the known ones. Never throws for well-formed JSON objects.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

enum class ChangeKind { added, removed, changed };

struct FieldChange {
  std::string field;  // "temperature", "rag.top", "name"
  ChangeKind kind = ChangeKind::changed;
  nlohmann::json before;  // null when added
  nlohmann::json after;   // null when removed
};

std::vector<FieldChange> diff_configs(const nlohmann::json& before, const nlohmann::json& after);

// "temperature: 0.5 -> 0.7", "rag.top: added 8", "system: removed (was \"x\")".
std::string describe_change(const FieldChange& change);
// {field, change: "added"|"removed"|"changed", old, new}
nlohmann::json change_to_json(const FieldChange& change);

}  // namespace weir
