// JSON input — the one policy for JSON text that comes from outside weir.
//
// Every reader of foreign JSON (a JSONL import line, an HTTP request body, an
// MCP message on stdio or HTTP, an upstream's answer or stream chunk) parses
// it here, so they all refuse the same things, the same way:
// - nesting deeper than kMaxJsonDepth arrays/objects (a deep document costs
//   recursion later: copying, dumping and walking it overflowed the stack);
// - a number too large for a double (1e999);
// - invalid UTF-8 or a lone surrogate escape in a string;
// - a key that appears twice in one object (parsers disagree on which one
//   wins, so a second `model` or `docid` could mean different things to weir
//   and to whoever checked the text before it);
// - any syntax error, or anything after the one value but white space.
//
// read_json() never throws for bad input (only std::bad_alloc): it returns the
// value or the problem, with its kind and byte offset, for the caller to
// report in its own terms (a rejected import line, a JSON-RPC -32700). It
// never recurses on the input's nesting, so no input can overflow the stack.
// read_json_or_throw() is the same, throwing weir::Error of the caller's kind.
//
// This file is below everything else (weir_json_input: nlohmann/json and the
// weir::Error header only), so mcp/protocol can use it too.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace weir {

// Arrays and objects nested this deep are accepted; one level more is not.
inline constexpr size_t kMaxJsonDepth = 128;

enum class JsonProblemKind { syntax, invalid_utf8, number_too_large, too_deep, duplicate_key };

struct JsonProblem {
  JsonProblemKind kind;
  // 1-based offset of the byte where the problem was found; 0 when unknown.
  size_t byte = 0;
  // What is wrong, in a user's terms: "the number 1e999 at byte 7 is too
  // large (the largest is about 1.8e308)". Begins in lower case.
  std::string description;
};

struct JsonReadResult {
  nlohmann::json value;                // null when `problem` is set
  std::optional<JsonProblem> problem;  // empty: the text was acceptable
  bool ok() const noexcept { return !problem.has_value(); }
};

JsonReadResult read_json(std::string_view text, size_t max_depth = kMaxJsonDepth);

// Error(kind, "<what> is not acceptable JSON: <description>"). `what` names
// the input: "the request body", "the answer from http://...".
nlohmann::json read_json_or_throw(std::string_view text, std::string_view what, ErrorKind kind,
                                  size_t max_depth = kMaxJsonDepth);

}  // namespace weir
