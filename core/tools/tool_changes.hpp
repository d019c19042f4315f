// Tool changes — what changed between two lists of offered tools
// (offered_tools.hpp records), as a tool set's diff shows it: so a change of
// an upstream API is visible before clients meet it.
//
// Tools are matched by name. A name on one side only is a tool added or
// removed; a tool on both sides whose record differs is changed, with every
// difference as a JSON Pointer into its record (json_diff.hpp):
// "/description", "/input_schema/properties/limit/maximum",
// "/input_schema/required", "/output_schema" (added or removed whole),
// "/source". Added and changed tools come in the order of `after`, removed
// ones in the order of `before`. Never throws for arrays of records.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_diff.hpp"

namespace weir {

struct ChangedTool {
  std::string name;
  std::vector<FieldChange> changes;  // field: the JSON Pointer into the record
};

struct ToolChanges {
  nlohmann::json added = nlohmann::json::array();    // records
  nlohmann::json removed = nlohmann::json::array();  // records
  std::vector<ChangedTool> changed;

  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
  // "2 added, 1 removed, 1 changed" (the parts that are not 0; "no change").
  std::string summary() const;
  // {added: [records], removed: [records], changed: [{name, changes: [{path,
  // change, old, new}]}]}
  nlohmann::json to_json() const;
};

ToolChanges diff_tools(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace weir
