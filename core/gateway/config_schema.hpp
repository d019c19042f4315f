// Gateway configuration schema — the one table that describes every field.
//
// Each row names a field of a gateway's JSON configuration (DESIGN.md
// "Gateway configuration"): its type, effective default, range or choices,
// help text and command-line flag. A nested block (`rag`, later `routing`,
// `tools`, ...) is a row of type `block` whose `fields` are rows of the same
// kind. GatewayConfig validates, merges, fills defaults and exports from this
// table; `weir gateway create|update` build their flags and help from it. So a
// new field is a row, and a new block is a row plus its table of rows.
//
// The table is immutable and built once; the functions here never throw except
// check_field_value(), which throws Error(usage) naming the field's full path
// (`rag.top`) and what is allowed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

using json = nlohmann::json;

// The enumerations a gateway field may take. Each has a string table
// (enum_names<E>(), indexed by the enum's value) that the schema checks against.
enum class RagStrategy { plain, concatenate, user_rewrite, full_rewrite, query_function };
enum class RagReranker { none, rrf, lexical };
enum class OverflowPolicy { error, truncate };
enum class ReasoningEffort { none, minimal, low, medium, high };
enum class Verbosity { low, medium, high };
enum class RoutingMode { fallback, loadbalance, complexity };
enum class ComplexityTier { low, medium, high };
enum class BuiltinTool { open_url, current_time, memory };
// What a budget does once spent: refuse (429 budget_exceeded) or answer with a warning.
enum class BudgetAction { block, warn };
// How the response cache matches a request (core/engine/response_cache.hpp).
enum class CacheMode { exact, semantic };
// Why an upstream attempt failed, as routing reads it (core/routing/failure_class.hpp).
enum class FailureClass {
  connection,      // no connection, or it broke before an answer
  timeout,         // the upstream did not connect or went silent past a timeout
  rate_limit,      // 429, or the service said it is overloaded
  server_error,    // 5xx, or an answer that broke off or made no sense
  authentication,  // the key or credentials were refused
  client_error,    // another 4xx refusal (a model id the service does not know)
  context_length,  // the conversation does not fit the model
  content_filter,  // the service's content filter refused the prompt
};

template <typename Enum>
const std::vector<std::string_view>& enum_names();
template <>
const std::vector<std::string_view>& enum_names<RagStrategy>();
template <>
const std::vector<std::string_view>& enum_names<RagReranker>();
template <>
const std::vector<std::string_view>& enum_names<OverflowPolicy>();
template <>
const std::vector<std::string_view>& enum_names<ReasoningEffort>();
template <>
const std::vector<std::string_view>& enum_names<Verbosity>();
template <>
const std::vector<std::string_view>& enum_names<RoutingMode>();
template <>
const std::vector<std::string_view>& enum_names<ComplexityTier>();
template <>
const std::vector<std::string_view>& enum_names<FailureClass>();
template <>
const std::vector<std::string_view>& enum_names<BuiltinTool>();
template <>
const std::vector<std::string_view>& enum_names<BudgetAction>();
template <>
const std::vector<std::string_view>& enum_names<CacheMode>();

template <typename Enum>
std::string_view enum_name(Enum value) {
  return enum_names<Enum>().at(static_cast<size_t>(value));
}
// nullopt when `text` is none of the names.
template <typename Enum>
std::optional<Enum> parse_enum(std::string_view text) {
  const auto& names = enum_names<Enum>();
  for (size_t index = 0; index < names.size(); ++index)
    if (names[index] == text) return static_cast<Enum>(index);
  return std::nullopt;
}

enum class FieldType {
  text,          // a string
  text_list,     // an array of strings
  text_or_list,  // a string or an array of at most 16 strings
  number,        // within [minimum, maximum]
  integer,       // within [minimum, maximum]
  boolean,
  choice,        // one of *choices
  block,         // a nested object whose keys are *fields
  record_list,   // an array of objects, each checked like a block against *fields
  object,        // any JSON object (a JSON Schema, a header map), checked by the row's `check`
};

// How the command line gives a field's value.
enum class FlagStyle {
  single,           // the last value given wins
  repeated,         // every value given, in order (replaces the list)
  comma_separated,  // repeated, and each value may hold several separated by commas
  file_paths,       // repeated; each must be an existing file, stored as an absolute path
  switch_on,        // a flag with no value that sets true
};

struct FieldSchema {
  std::string_view name = {};
  FieldType type = FieldType::text;
  std::string_view help = {};    // one line, without range, choices or default (help_text() adds them)
  json default_value = nullptr;  // effective when unset; null: not sent, the upstream's default applies
  double minimum = 0;            // number and integer
  double maximum = 0;
  const std::vector<std::string_view>* choices = nullptr;  // choice: an enum_names<E>() table
  const std::vector<FieldSchema>* fields = nullptr;        // block: its keys
  bool sampling = false;   // sent to the upstream as it is, and a request may override it
  bool required = false;   // must be set (in a block: whenever the block is set)
  std::string_view flag = {};  // e.g. "--top-p"; empty when no flag sets it
  FlagStyle flag_style = FlagStyle::single;
  std::string_view value_name = {};  // placeholder in help and completion; empty: derived from the type
  // Extra rule beyond type and range, run after them; throws Error(usage).
  void (*check)(const std::string& path, const json& value) = nullptr;
  // record_list: one flag value as its record (`--target openai/gpt-4o,weight=2`);
  // throws Error(usage) saying what the flag takes.
  json (*record_from_flag)(const std::string& text) = nullptr;
};

// The `limits` and `budget` blocks (core/policy/limit_settings.hpp reads
// them); API keys carry the same blocks, checked by the same rows.
const std::vector<FieldSchema>& limits_schema();
const std::vector<FieldSchema>& budget_schema();
// The `cache` block (core/engine/cache_settings.hpp reads it).
const std::vector<FieldSchema>& cache_schema();

// The top-level fields, in the order `gateway show` prints them.
const std::vector<FieldSchema>& gateway_schema();

// What an unset field (null) means, as `gateway show` says it: a sampling
// field is not sent, so "(upstream default)"; an unset number is a limit not
// set, "(no limit)"; anything else (a block, a list, text) is "(none)".
std::string_view unset_meaning(const FieldSchema& field);

// A field by path: "temperature" or "rag.top". nullptr when there is none.
const FieldSchema* find_field_schema(std::string_view path);

// Every settable leaf with its path ("rag.top"), block fields after their
// block's position; what flags, tests and diffs walk.
struct FieldPath {
  std::string path;
  const FieldSchema* field;
};
std::vector<FieldPath> leaf_fields();

// Validates one value (not null) of the field at `path`; throws Error(usage)
// "gateway field 'PATH' ..." saying what is allowed. A block (and each record
// of a record_list, `routing.targets[1]`) is checked key by key: an unknown
// key names the block, the key and the closest known key.
void check_field_value(const std::string& path, const FieldSchema& field, const json& value);

// The fields a request may override when a gateway allows it (the sampling
// fields, stop, tools, tool_choice, response_format, system, prefill).
const std::vector<std::string_view>& request_overridable_fields();

// The help line of a flag: help, then the range, then the default. (Choices
// are shown by the flag's value placeholder, `TEXT:{a,b}`.)
std::string help_text(const FieldSchema& field);

// Up to three of `candidates` closest to `wanted` by edit distance (closest
// first, only plausible ones), for "did you mean" hints.
std::vector<std::string> closest_names(const std::string& wanted, const std::vector<std::string>& candidates);

}  // namespace weir
