// Config diff — what changed between two stored gateway configurations.
//
// Compares the fields the user set (GatewayConfig::fields(), or a revision's
// stored config) field by field in schema order, descending into nested
// blocks so a change inside `rag` reads as `rag.top`. A field set on one side
// only is added or removed; a whole block appearing or going is reported key
// by key. Keys the schema does not know (a config from another weir) are
// compared too, after the known ones. Never throws for well-formed JSON objects.
// The change records and their wording are core/json_diff.hpp's.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_diff.hpp"

namespace weir {

std::vector<FieldChange> diff_configs(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace weir
