// Guardrails — a gateway's `guardrails` block, compiled, and what one request
// did with it (DESIGN.md "Gateway configuration", policy).
//
// A guard has a type (regex, pii, words, length, json_schema), a direction
// (`on`: input, output or both) and an action (deny, mask, warn). GuardSet
// compiles the block once per gateway revision (ResolvedTargets keeps it with
// the resolved target): RE2 patterns, the words' pattern, the JSON Schema.
// RE2 runs in time linear in the text, so no pattern and no text can hang
// weir (`(a+)+$` on 100 KB of `a`s is one pass).
//
// Input (the guardrails stage, pipeline.hpp): apply_input_guards() runs every
// input guard, in order, over the text of the caller's messages. deny throws
// Error(usage, code "guardrail_violation") naming the guard; mask replaces
// each match with a numbered placeholder ([EMAIL_1]; one placeholder per
// distinct original) kept in the request's GuardrailRun so the answer can be
// given the originals back (unmask_filter.hpp); warn only notes it.
// Output: output_guard_filter.hpp scans the answer as it streams.
//
// Every intervention is noted in the GuardrailRun ({guard, type, direction,
// action, matches, kinds?}); the engine puts the notes in generation_context
// and the request log. A note never holds the matched text.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"

namespace re2 {
class RE2;
}

namespace weir {

using json = nlohmann::json;
class PiiScanner;

enum class GuardType { regex, pii, words, length, json_schema };
enum class GuardDirection { input, output, both };
enum class GuardAction { deny, mask, warn };

const std::vector<std::string_view>& guard_type_names();
const std::vector<std::string_view>& guard_direction_names();
const std::vector<std::string_view>& guard_action_names();

constexpr const char* kGuardrailViolation = "guardrail_violation";
constexpr size_t kDefaultGuardWindow = 256;

struct GuardMatch {
  size_t begin = 0;
  size_t end = 0;
  std::string_view label;  // placeholder label: EMAIL, CARD, ... or REDACTED
  std::string_view kind;   // pii kind name; empty for other types
};

class Guard {
 public:
  Guard(std::string name, GuardType type, GuardDirection on, GuardAction action);
  ~Guard();
  Guard(Guard&&) noexcept;
  Guard& operator=(Guard&&) noexcept;

  const std::string& name() const { return name_; }
  GuardType type() const { return type_; }
  GuardAction action() const { return action_; }
  bool checks_input() const { return on_ != GuardDirection::output; }
  bool checks_output() const { return on_ != GuardDirection::input; }
  // regex, pii, words: matches are found in the text.
  bool scans_text() const { return type_ == GuardType::regex || type_ == GuardType::pii || type_ == GuardType::words; }
  // How much streamed answer is held back so a match split across chunks is whole when scanned.
  size_t window() const { return window_; }

  // regex, pii, words: non-overlapping matches in text order.
  std::vector<GuardMatch> find(std::string_view text) const;
  // length: a description of the excess ("5120 characters, over 4096"), or nullopt when within.
  std::optional<std::string> over_length(std::string_view text) const;
  // The same from counts kept as a text streams: its characters and bytes.
  std::optional<std::string> over_length(size_t characters, size_t bytes) const;
  // json_schema: what is wrong with `text` as a JSON value of the schema, or nullopt when it is valid.
  std::optional<std::string> schema_problem(std::string_view text) const;

  // Error(usage, guardrail_violation) naming the guard.
  [[noreturn]] void deny(std::string_view direction, const std::string& why) const;
  json note(std::string_view direction, size_t matches, const std::vector<std::string_view>& kinds = {}) const;

 private:
  friend class GuardSet;
  std::string name_;
  GuardType type_;
  GuardDirection on_;
  GuardAction action_;
  size_t window_ = kDefaultGuardWindow;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;  // regex: each pattern; words: one
  std::vector<size_t> pii_kinds_;                    // indexes into pii_kinds()
  std::unique_ptr<PiiScanner> pii_;                  // pii: those kinds in one pattern
  long long max_characters_ = 0;                     // 0: no limit
  long long max_tokens_ = 0;
  std::optional<JsonSchema> schema_;
};

class GuardSet {
 public:
  // `block` is the gateway's guardrails array (null or empty: no guards).
  // Throws Error(usage) naming the guard ("guardrails[1] 'cards'") when a
  // pattern does not compile or the guard is inconsistent.
  static std::shared_ptr<const GuardSet> compile(const json& block);

  const std::vector<Guard>& guards() const { return guards_; }
  bool empty() const { return guards_.empty(); }
  bool has_input() const;
  bool has_output() const;
  bool masks_input() const;

 private:
  std::vector<Guard> guards_;
};

// What one request's guards did: the placeholders of masked input and the
// notes of every intervention. One per request, used on its thread.
class GuardrailRun {
 public:
  // The placeholder for `original` ([LABEL_N]), the same one each time it is given.
  std::string placeholder(std::string_view label, std::string_view original);
  // placeholder -> original
  const std::map<std::string, std::string, std::less<>>& originals() const { return originals_; }
  size_t longest_placeholder() const { return longest_; }

  void note(json intervention) { notes_.push_back(std::move(intervention)); }
  const json& notes() const { return notes_; }

 private:
  std::map<std::string, std::string, std::less<>> originals_;
  std::map<std::string, std::string, std::less<>> placeholders_;  // label + "\n" + original -> placeholder
  std::map<std::string, int, std::less<>> counters_;
  size_t longest_ = 0;
  json notes_ = json::array();
};

// `text` with every match of `guard` replaced: numbered placeholders from
// `run` (input), or bare ones such as [EMAIL] when `run` is null (output).
std::string mask_text(const Guard& guard, std::string_view text, const std::vector<GuardMatch>& matches,
                      GuardrailRun* run);

// Runs the input guards over the text of messages[first, first + count)
// (string contents and text parts), masking in place; also masks the same
// way `also` (another copy of the caller's conversation that reaches an
// upstream: the one retrieval and routing read), if given.
void apply_input_guards(const GuardSet& guards, json& messages, size_t first, size_t count, GuardrailRun& run,
                        json* also = nullptr);

}  // namespace weir
