// Guardrail fields — the schema rows of one record of a gateway's
// `guardrails` list (core/policy/guardrails.hpp says what each guard does).
//
// A record: name (optional; default TYPE_N, unique in the list), type
// (regex | pii | words | length | json_schema), on (input | output | both,
// default both), action (deny | mask | warn, default deny), and the fields of
// its type: patterns (regex, RE2 syntax), kinds (pii, default all), words,
// max_characters / max_tokens (length), schema (json_schema), window (how
// much streamed answer is held back to scan, default 256 bytes).
// check_guardrail_list() compiles the list as the engine will, so a pattern
// RE2 refuses is refused when the gateway is saved, naming the guard.
#pragma once

#include <string>
#include <vector>

#include "core/gateway/config_schema.hpp"

namespace weir {

const std::vector<FieldSchema>& guardrail_schema();
void check_guardrail_list(const std::string& path, const json& value);

}  // namespace weir
