#include "core/policy/guardrails.hpp"

#include <algorithm>
#include <cctype>

#include <re2/re2.h>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/policy/pii_kinds.hpp"

namespace weir {

namespace {

template <typename Enum>
Enum enum_from(const std::vector<std::string_view>& names, const std::string& text, Enum fallback) {
  for (size_t index = 0; index < names.size(); ++index)
    if (names[index] == text) return static_cast<Enum>(index);
  return fallback;
}

[[noreturn]] void refuse(const std::string& guard, const std::string& why) {
  throw Error(ErrorKind::usage, "gateway guardrail " + guard + " " + why);
}

std::unique_ptr<re2::RE2> compile_pattern(const std::string& guard, const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(8 << 20);
  auto compiled = std::make_unique<re2::RE2>(pattern, options);
  if (!compiled->ok())
    refuse(guard, "has a pattern RE2 cannot compile: '" + pattern + "': " + compiled->error() +
                      " (RE2 syntax: no backreferences or lookaround)");
  return compiled;
}

// One pattern matching any of the words, case-insensitive, as whole words:
// group 1 is the word; the characters around it are not letters or digits.
std::string words_pattern(const json& words) {
  std::string alternatives;
  for (const auto& word : words) {
    if (!alternatives.empty()) alternatives += "|";
    alternatives += RE2::QuoteMeta(word.get<std::string>());
  }
  return "(?i)(?:^|[^\\pL\\pN_])(" + alternatives + ")(?:$|[^\\pL\\pN_])";
}

size_t count_characters(std::string_view text) {
  size_t count = 0;
  for (char byte : text)
    if ((static_cast<unsigned char>(byte) & 0xC0) != 0x80) ++count;
  return count;
}

// About four bytes of text per token, as the context budget estimates.
long long estimate_tokens(size_t bytes) { return static_cast<long long>((bytes + 3) / 4); }

// A fenced ``` block's inside, else the text trimmed.
std::string_view json_candidate(std::string_view text) {
  auto trim = [](std::string_view part) {
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) part.remove_prefix(1);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) part.remove_suffix(1);
    return part;
  };
  text = trim(text);
  if (text.substr(0, 3) == "```") {
    auto line = text.find('\n');
    auto close = text.rfind("```");
    if (line != std::string_view::npos && close != std::string_view::npos && close > line)
      return trim(text.substr(line + 1, close - line - 1));
  }
  return text;
}

std::string guard_label(size_t index, const json& record) {
  auto name = record.value("name", std::string());
  return "guardrails[" + std::to_string(index) + "]" + (name.empty() ? "" : " '" + name + "'");
}

}  // namespace

const std::vector<std::string_view>& guard_type_names() {
  static const std::vector<std::string_view> names = {"regex", "pii", "words", "length", "json_schema"};
  return names;
}
const std::vector<std::string_view>& guard_direction_names() {
  static const std::vector<std::string_view> names = {"input", "output", "both"};
  return names;
}
const std::vector<std::string_view>& guard_action_names() {
  static const std::vector<std::string_view> names = {"deny", "mask", "warn"};
  return names;
}

Guard::Guard(std::string name, GuardType type, GuardDirection on, GuardAction action)
    : name_(std::move(name)), type_(type), on_(on), action_(action) {}
Guard::~Guard() = default;
Guard::Guard(Guard&&) noexcept = default;
Guard& Guard::operator=(Guard&&) noexcept = default;

std::vector<GuardMatch> Guard::find(std::string_view text) const {
  std::vector<GuardMatch> found;
  if (type_ == GuardType::pii) {
    for (const auto& match : pii_->find(text))
      found.push_back({match.begin, match.end, match.kind->label, match.kind->name});
    return found;
  }
  const re2::StringPiece whole(text.data(), text.size());
  const int group = type_ == GuardType::words ? 1 : 0;
  re2::StringPiece groups[2];
  for (const auto& pattern : patterns_) {
    size_t position = 0;
    while (position <= text.size() &&
           pattern->Match(whole, position, text.size(), RE2::UNANCHORED, groups, group + 1)) {
      const auto& match = groups[group];
      size_t begin = static_cast<size_t>(match.data() - text.data());
      size_t end = begin + match.size();
      if (end == begin) {  // an empty match masks nothing; look further on
        position = begin + 1;
        continue;
      }
      found.push_back({begin, end, "REDACTED", {}});
      position = end;
    }
  }
  if (patterns_.size() > 1) {
    std::sort(found.begin(), found.end(), [](const GuardMatch& left, const GuardMatch& right) {
      return left.begin != right.begin ? left.begin < right.begin : left.end > right.end;
    });
    std::vector<GuardMatch> kept;
    for (const auto& match : found)
      if (kept.empty() || match.begin >= kept.back().end) kept.push_back(match);
    found = std::move(kept);
  }
  return found;
}

std::optional<std::string> Guard::over_length(std::string_view text) const {
  return over_length(count_characters(text), text.size());
}

std::optional<std::string> Guard::over_length(size_t characters, size_t bytes) const {
  if (max_characters_ > 0 && static_cast<long long>(characters) > max_characters_)
    return std::to_string(characters) + " characters, over the " + std::to_string(max_characters_) + " allowed";
  if (max_tokens_ > 0) {
    auto tokens = estimate_tokens(bytes);
    if (tokens > max_tokens_)
      return "about " + std::to_string(tokens) + " tokens, over the " + std::to_string(max_tokens_) + " allowed";
  }
  return std::nullopt;
}

std::optional<std::string> Guard::schema_problem(std::string_view text) const {
  auto candidate = json_candidate(text);
  auto read = read_json(candidate);
  if (!read.ok()) return std::string("the answer is not JSON");
  auto violations = schema_->validate(read.value);
  if (violations.empty()) return std::nullopt;
  return "the answer does not match its schema: " + describe_violations(violations, 5);
}

void Guard::deny(std::string_view direction, const std::string& why) const {
  throw Error(ErrorKind::usage,
              "guardrail '" + name_ + "' (" + std::string(guard_type_names()[static_cast<size_t>(type_)]) + ") denied the " +
                  (direction == "input" ? "request" : "answer") + ": " + why,
              kGuardrailViolation);
}

json Guard::note(std::string_view direction, size_t matches, const std::vector<std::string_view>& kinds) const {
  json note = {{"guard", name_},
               {"type", guard_type_names()[static_cast<size_t>(type_)]},
               {"direction", direction},
               {"action", guard_action_names()[static_cast<size_t>(action_)]},
               {"matches", matches}};
  if (!kinds.empty()) {
    json listed = json::array();
    for (auto kind : kinds)
      if (std::find(listed.begin(), listed.end(), json(std::string(kind))) == listed.end())
        listed.push_back(std::string(kind));
    note["kinds"] = std::move(listed);
  }
  return note;
}

std::shared_ptr<const GuardSet> GuardSet::compile(const json& block) {
  auto set = std::make_shared<GuardSet>();
  if (block.is_null()) return set;
  if (!block.is_array()) throw Error(ErrorKind::usage, "gateway field 'guardrails' must be an array of guards");
  for (size_t index = 0; index < block.size(); ++index) {
    const json& record = block[index];
    const auto label = guard_label(index, record);
    auto type = enum_from(guard_type_names(), record.value("type", ""), GuardType::regex);
    auto on = enum_from(guard_direction_names(), record.value("on", "both"), GuardDirection::both);
    auto action = enum_from(guard_action_names(), record.value("action", "deny"), GuardAction::deny);
    auto type_name = std::string(guard_type_names()[static_cast<size_t>(type)]);
    auto name = record.value("name", type_name + "_" + std::to_string(index + 1));
    Guard guard(name, type, on, action);
    if (record.contains("window") && record["window"].is_number_integer())
      guard.window_ = record["window"].get<size_t>();

    // Fields that belong to another type are refused: they would do nothing.
    const std::vector<std::pair<std::string, GuardType>> owned = {
        {"patterns", GuardType::regex},     {"kinds", GuardType::pii},
        {"words", GuardType::words},        {"max_characters", GuardType::length},
        {"max_tokens", GuardType::length},  {"schema", GuardType::json_schema}};
    for (const auto& [field, owner] : owned)
      if (record.contains(field) && !record[field].is_null() && owner != type)
        refuse(label, "sets '" + field + "', which applies to " +
                          std::string(guard_type_names()[static_cast<size_t>(owner)]) + " guards only");
    if (action == GuardAction::mask && !guard.scans_text())
      refuse(label, "cannot mask: mask applies to regex, pii and words guards; use deny or warn");

    switch (type) {
      case GuardType::regex: {
        json patterns = record.value("patterns", json());
        if (patterns.is_string()) patterns = json::array({patterns});
        if (!patterns.is_array() || patterns.empty()) refuse(label, "needs 'patterns': a pattern or a list of them");
        for (const auto& pattern : patterns) guard.patterns_.push_back(compile_pattern(label, pattern.get<std::string>()));
        break;
      }
      case GuardType::pii: {
        json kinds = record.value("kinds", json());
        if (kinds.is_null()) {
          for (size_t kind = 0; kind < pii_kinds().size(); ++kind) guard.pii_kinds_.push_back(kind);
          guard.pii_ = std::make_unique<PiiScanner>(guard.pii_kinds_);
          break;
        }
        if (!kinds.is_array() || kinds.empty()) refuse(label, "needs 'kinds' to list at least one kind");
        std::string known;
        for (const auto& kind : pii_kinds()) known += (known.empty() ? "" : ", ") + std::string(kind.name);
        for (const auto& kind : kinds) {
          const auto* found = find_pii_kind(kind.get<std::string>());
          if (!found) refuse(label, "has an unknown pii kind '" + kind.get<std::string>() + "'; known: " + known);
          guard.pii_kinds_.push_back(static_cast<size_t>(found - pii_kinds().data()));
        }
        std::sort(guard.pii_kinds_.begin(), guard.pii_kinds_.end());
        guard.pii_kinds_.erase(std::unique(guard.pii_kinds_.begin(), guard.pii_kinds_.end()), guard.pii_kinds_.end());
        guard.pii_ = std::make_unique<PiiScanner>(guard.pii_kinds_);
        break;
      }
      case GuardType::words: {
        json words = record.value("words", json());
        if (!words.is_array() || words.empty()) refuse(label, "needs 'words': a list of words");
        for (const auto& word : words)
          if (word.get<std::string>().empty()) refuse(label, "lists an empty word");
        guard.patterns_.push_back(compile_pattern(label, words_pattern(words)));
        break;
      }
      case GuardType::length:
        guard.max_characters_ = record.value("max_characters", 0LL);
        guard.max_tokens_ = record.value("max_tokens", 0LL);
        if (guard.max_characters_ <= 0 && guard.max_tokens_ <= 0)
          refuse(label, "needs 'max_characters' or 'max_tokens'");
        break;
      case GuardType::json_schema:
        if (!record.contains("schema")) refuse(label, "needs 'schema': the JSON Schema the answer must match");
        if (on != GuardDirection::output) refuse(label, "checks answers only: set \"on\": \"output\"");
        guard.schema_ = JsonSchema::compile(record["schema"], "guardrail " + label + "'s schema");
        break;
    }
    for (const auto& earlier : set->guards_)
      if (earlier.name() == guard.name()) refuse(label, "repeats the name '" + guard.name() + "'; names must be unique");
    set->guards_.push_back(std::move(guard));
  }
  return set;
}

bool GuardSet::has_input() const {
  return std::any_of(guards_.begin(), guards_.end(), [](const Guard& guard) { return guard.checks_input(); });
}
bool GuardSet::has_output() const {
  return std::any_of(guards_.begin(), guards_.end(), [](const Guard& guard) { return guard.checks_output(); });
}
bool GuardSet::masks_input() const {
  return std::any_of(guards_.begin(), guards_.end(), [](const Guard& guard) {
    return guard.checks_input() && guard.action() == GuardAction::mask;
  });
}

std::string GuardrailRun::placeholder(std::string_view label, std::string_view original) {
  std::string key = std::string(label) + "\n" + std::string(original);
  if (auto known = placeholders_.find(key); known != placeholders_.end()) return known->second;
  auto number = ++counters_[std::string(label)];
  auto made = "[" + std::string(label) + "_" + std::to_string(number) + "]";
  placeholders_.emplace(std::move(key), made);
  originals_.emplace(made, std::string(original));
  longest_ = std::max(longest_, made.size());
  return made;
}

std::string mask_text(const Guard&, std::string_view text, const std::vector<GuardMatch>& matches, GuardrailRun* run) {
  std::string masked;
  masked.reserve(text.size());
  size_t position = 0;
  for (const auto& match : matches) {
    masked.append(text.substr(position, match.begin - position));
    auto original = text.substr(match.begin, match.end - match.begin);
    masked += run ? run->placeholder(match.label, original) : "[" + std::string(match.label) + "]";
    position = match.end;
  }
  masked.append(text.substr(position));
  return masked;
}

namespace {

// Calls `visit(text)` for each text of a message (string content, text
// parts, and the arguments of an assistant's tool calls, which repeat what
// the conversation said); `visit` returns the replacement text, or nullopt
// to leave it.
template <typename Visit>
void for_each_text(json& message, Visit&& visit) {
  auto replace = [&](json& text) {
    if (!text.is_string()) return;
    if (auto replaced = visit(text.get_ref<const std::string&>())) text = std::move(*replaced);
  };
  if (auto content = message.find("content"); content != message.end()) {
    if (content->is_string()) {
      replace(*content);
    } else if (content->is_array()) {
      for (auto& part : *content) {
        if (!part.is_object() || part.value("type", "") != "text") continue;
        if (auto text = part.find("text"); text != part.end()) replace(*text);
      }
    }
  }
  auto calls = message.find("tool_calls");
  if (calls == message.end() || !calls->is_array()) return;
  for (auto& call : *calls) {
    if (!call.is_object()) continue;
    auto function = call.find("function");
    if (function == call.end() || !function->is_object()) continue;
    if (auto arguments = function->find("arguments"); arguments != function->end()) replace(*arguments);
  }
}

std::string joined_text(json& message) {
  std::string text;
  for_each_text(message, [&](const std::string& part) -> std::optional<std::string> {
    text += part;
    return std::nullopt;
  });
  return text;
}

}  // namespace

void apply_input_guards(const GuardSet& guards, json& messages, size_t first, size_t count, GuardrailRun& run,
                        json* also) {
  const size_t last = std::min(messages.size(), first + count);
  for (const auto& guard : guards.guards()) {
    if (!guard.checks_input()) continue;
    if (guard.type() == GuardType::length) {
      for (size_t index = last; index-- > first;) {
        if (messages[index].value("role", "") != "user") continue;
        if (auto excess = guard.over_length(joined_text(messages[index]))) {
          if (guard.action() == GuardAction::deny) {
            run.note(guard.note("input", 1));
            guard.deny("input", "the message has " + *excess);
          }
          run.note(guard.note("input", 1));
        }
        break;
      }
      continue;
    }
    if (!guard.scans_text()) continue;
    size_t matched = 0;
    std::vector<std::string_view> kinds;
    // Each text as this guard left it, so the other copy (the same texts, as
    // often as not) is not scanned again.
    std::map<std::string, std::string, std::less<>> masked;
    for (size_t index = first; index < last; ++index) {
      for_each_text(messages[index], [&](const std::string& text) -> std::optional<std::string> {
        auto matches = guard.find(text);
        if (guard.action() == GuardAction::mask && also)
          masked.emplace(text, matches.empty() ? text : mask_text(guard, text, matches, &run));
        if (matches.empty()) return std::nullopt;
        matched += matches.size();
        for (const auto& match : matches)
          if (!match.kind.empty()) kinds.push_back(match.kind);
        if (guard.action() == GuardAction::deny) {
          run.note(guard.note("input", matches.size(), kinds));
          std::string what = kinds.empty() ? std::string("a message matches it")
                                           : "a message holds " + std::string(kinds.front()) + " data";
          guard.deny("input", what);
        }
        if (guard.action() == GuardAction::mask) {
          if (auto known = masked.find(text); known != masked.end()) return known->second;
          return mask_text(guard, text, matches, &run);
        }
        return std::nullopt;
      });
    }
    if (matched == 0) continue;
    run.note(guard.note("input", matched, kinds));
    if (guard.action() == GuardAction::mask && also && also->is_array())
      for (auto& message : *also)
        for_each_text(message, [&](const std::string& text) -> std::optional<std::string> {
          if (auto known = masked.find(text); known != masked.end())
            return known->second == text ? std::nullopt : std::optional<std::string>(known->second);
          auto matches = guard.find(text);
          if (matches.empty()) return std::nullopt;
          return mask_text(guard, text, matches, &run);
        });
  }
}

}  // namespace weir
