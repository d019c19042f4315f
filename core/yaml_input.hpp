// YAML input — YAML documents read as JSON values, for formats that are
// written in either (OpenAPI descriptions, core/tools/openapi_document.hpp).
//
// Parsed with yaml-cpp (Debian's libyaml-cpp-dev). Scalars take the YAML 1.2
// core schema: a plain `true`/`false` is a boolean, `null`, `~` or nothing
// is null, plain numbers are numbers, everything quoted (or tagged !!str) is
// a string. Mapping keys become strings. Like core/json_input.hpp, it bounds
// what a document may cost: nesting deeper than kMaxJsonDepth, or more than
// kMaxYamlNodes values or kMaxYamlTextBytes of strings and keys once aliases
// are expanded (a few lines of anchors can stand for billions of nodes, or
// one long string copied a million times), is refused, as is a key given
// twice.
//
// read_yaml_or_throw() throws Error(kind, "<what> is not acceptable YAML:
// ...") naming the line where the parser stopped when it knows it.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace weir {

inline constexpr size_t kMaxYamlNodes = 1'000'000;
inline constexpr size_t kMaxYamlTextBytes = size_t{64} << 20;

nlohmann::json read_yaml_or_throw(std::string_view text, std::string_view what, ErrorKind kind);

}  // namespace weir
