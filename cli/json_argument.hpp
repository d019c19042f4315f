// JSON arguments — a command-line value that is a JSON document, given
// inline (`--schema '{"type": "object"}'`) or as a file holding it
// (`--schema schema.json`, `-` for stdin).
//
// A value whose first non-blank character is '{' or '[' is read as JSON
// text; anything else names a file. Either way the text passes weir's JSON
// input policy (core/json_input.hpp). Error(usage) names the flag and says
// what was wrong: no such file, or where the JSON is broken.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace weir {

nlohmann::json json_argument(const std::string& value, const std::string& flag);

}  // namespace weir
