// Function fields — the schema rows of a gateway's tools (issue 16): one
// record of the `functions` list, and the rules of `functions` and
// `builtin_tools`. Rows of config_schema.cpp's table point here, so the HTTP
// function and built-in rules live beside each other and not in the big table.
//
// A function record: name (1-64 of [A-Za-z0-9_-], unique in the list),
// description, parameters (a JSON Schema object weir can compile: the
// arguments are checked against it before each call), url (http or https),
// headers (an object of string values, sent with each call; `${NAME}` takes
// an environment variable's value at call time), timeout_ms (default 30000).
// Every rule throws Error(usage) naming the field's full path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/gateway/config_schema.hpp"

namespace weir {

constexpr int kDefaultFunctionTimeoutMs = 30'000;

const std::vector<FieldSchema>& http_function_schema();
void check_function_list(const std::string& path, const json& value);

// Checks one function record from anywhere (a function source's answer too):
// the rules above, with `path` naming it in the error.
void check_function_record(const std::string& path, const json& record);

// `config` (a gateway's fields, or its to_json()) as it may be shown
// (redaction.hpp): the header values of its functions and MCP servers, its MCP
// servers' environment values and URLs, its hooks' literal secrets and URLs.
// `gateway show` prints this.
json with_tool_secrets_redacted(json config);

}  // namespace weir
