// StructuredOutput — what shape an answer must have, and whether it has it.
//
// A request asks for structured output with `response_format`
// {"type": "json_schema", "json_schema": {"name", "schema", "strict",
// "healing_options": {"max_attempts"}}} or {"type": "json_object"}; a gateway
// (or a request overriding it) with `response_schema`, `healing_attempts`
// and `json_only`. resolve() reads both: the request's response_format wins
// over the gateway's response_schema, and `json_only` alone asks for a JSON
// object. The engine then:
// - appends instructions() to the system text (every model is told, whether
//   or not its service enforces schemas);
// - sends native_response_format() as the request's response_format, which
//   each adapter renders natively (OpenAI as is, Gemini as responseSchema,
//   Anthropic as a forced tool) or leaves out;
// - checks each answer with check(): the first candidate of
//   json_candidates() (core/engine/json_extraction.hpp) that parses under
//   weir's JSON input policy and validates (core/json_schema.hpp) is the
//   answer; otherwise the problems of the best parsed candidate (or why
//   nothing parsed) are asked about again (healing_message()), up to
//   max_attempts (core/engine/structured_attempts.hpp).
// resolve() throws Error(usage) for a malformed response_format, a schema
// valijson cannot read, or max_attempts outside 1..10. A resolved
// StructuredOutput is immutable and may be shared by threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"

namespace weir {

class GatewayConfig;

inline constexpr int kDefaultHealingAttempts = 3;
inline constexpr int kMostHealingAttempts = 10;

// The outcome of checking one answer.
struct StructuredCheck {
  bool valid = false;
  std::string text;            // valid: the JSON text found (as the model wrote it, or repaired)
  nlohmann::json value;        // valid: its value
  std::string problems;        // not valid: what is wrong, one line
};

struct StructuredOutput {
  enum class Kind { json_object, json_schema };
  Kind kind = Kind::json_object;
  std::string name = "response";          // the schema's name (OpenAI's json_schema.name)
  nlohmann::json schema;                  // json_schema: the JSON Schema
  std::optional<bool> strict;             // as the request gave it; not sent when unset
  int max_attempts = kDefaultHealingAttempts;
  bool json_only = false;                 // front doors answer with the JSON itself
  std::shared_ptr<const JsonSchema> compiled;  // json_schema: the schema, compiled once

  // nullopt: the answer is free text. `response_format` is the request's
  // (null when it sent none); `config` the gateway's, request overrides merged.
  // `precompiled`: the gateway's stored response_schema, compiled when the
  // target was resolved (resolved_targets.hpp); used when the schema in
  // force is that one, so a server compiles it once per gateway revision.
  static std::optional<StructuredOutput> resolve(const GatewayConfig& config, const nlohmann::json& response_format,
                                                 std::shared_ptr<const JsonSchema> precompiled = nullptr);

  // The system text that tells the model the shape.
  std::string instructions() const;
  // OpenAI's response_format for this shape (healing_options left out).
  nlohmann::json native_response_format() const;
  StructuredCheck check(std::string_view answer) const;
};

// The user message that asks again after an answer with these problems.
nlohmann::json healing_message(const std::string& problems);

}  // namespace weir
