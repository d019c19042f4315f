#include "core/gateway/gateway_config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace weir {

namespace {

enum class FieldType { text, text_list, text_or_list, number, integer, choice, rag_block };

struct FieldRule {
  std::string_view name;
  FieldType type;
  double minimum = 0;
  double maximum = 0;
  std::vector<std::string_view> choices = {};
  bool sampling = false;  // sent to the upstream verbatim
};

const std::vector<FieldRule>& rules() {
  static const std::vector<FieldRule> table = {
      {"description", FieldType::text},
      {"provider", FieldType::text},
      {"model", FieldType::text},
      {"system", FieldType::text},
      {"system_files", FieldType::text_list},
      {"system_urls", FieldType::text_list},
      {"prompt_template", FieldType::text},
      {"prefill", FieldType::text},
      {"stop", FieldType::text_or_list},
      {"temperature", FieldType::number, 0, 2, {}, true},
      {"top_p", FieldType::number, 0, 1, {}, true},
      {"top_k", FieldType::integer, 1, 1000, {}, true},
      {"presence_penalty", FieldType::number, -2, 2, {}, true},
      {"frequency_penalty", FieldType::number, -2, 2, {}, true},
      {"seed", FieldType::integer, -9.2e18, 9.2e18, {}, true},
      {"max_tokens", FieldType::integer, 1, 10'000'000, {}, true},
      {"reasoning_effort", FieldType::choice, 0, 0, {"none", "minimal", "low", "medium", "high"}, true},
      {"verbosity", FieldType::choice, 0, 0, {"low", "medium", "high"}, true},
      {"overridable", FieldType::text_list},
      {"max_context_tokens", FieldType::integer, 1, 100'000'000},
      {"on_overflow", FieldType::choice, 0, 0, {"error", "truncate"}},
      {"tool_result_window", FieldType::integer, 0, 10'000},
      {"rag", FieldType::rag_block},
  };
  return table;
}

// The keys of the `rag` block, validated with the same rules as top-level fields.
const std::vector<FieldRule>& rag_rules() {
  static const std::vector<FieldRule> table = {
      {"collections", FieldType::text_list},
      {"strategy", FieldType::choice, 0, 0, {"plain", "concatenate", "user_rewrite", "full_rewrite", "query_function"}},
      {"window", FieldType::integer, 1, 64},
      {"top", FieldType::integer, 1, 128},
      {"min_score", FieldType::number, 0.01, 0.99},
      {"reranker", FieldType::choice, 0, 0, {"none", "rrf", "lexical"}},
      {"include_references", FieldType::text},  // checked as a boolean below
      {"rewrite_model", FieldType::text},
      {"max_tool_iterations", FieldType::integer, 1, 64},
  };
  return table;
}

const FieldRule* find_rule(std::string_view name) {
  for (const auto& rule : rules())
    if (rule.name == name) return &rule;
  return nullptr;
}

std::string join(const std::vector<std::string_view>& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ", ";
    text += item;
  }
  return text;
}

std::string format_number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<long long>(value));
  auto text = std::to_string(value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  return text;
}

[[noreturn]] void invalid(std::string_view field, const std::string& why) {
  throw Error(ErrorKind::usage, "gateway field '" + std::string(field) + "' " + why);
}

void check_text(std::string_view field, const json& value) {
  if (!value.is_string()) invalid(field, "must be a string, got " + value.dump());
}

void validate_rag_block(const json& value);

void validate_field(const FieldRule& rule, const json& value) {
  switch (rule.type) {
    case FieldType::rag_block:
      validate_rag_block(value);
      break;
    case FieldType::text:
      check_text(rule.name, value);
      break;
    case FieldType::text_list:
      if (!value.is_array()) invalid(rule.name, "must be an array of strings, got " + value.dump());
      for (const auto& item : value) check_text(rule.name, item);
      break;
    case FieldType::text_or_list:
      if (value.is_string()) break;
      if (!value.is_array()) invalid(rule.name, "must be a string or an array of strings");
      if (value.size() > 16) invalid(rule.name, "has more than 16 entries");
      for (const auto& item : value) check_text(rule.name, item);
      break;
    case FieldType::number:
    case FieldType::integer: {
      if (!value.is_number() || (rule.type == FieldType::integer && !value.is_number_integer()))
        invalid(rule.name, std::string("must be ") + (rule.type == FieldType::integer ? "an integer" : "a number") +
                               " from " + format_number(rule.minimum) + " to " + format_number(rule.maximum) +
                               ", got " + value.dump());
      double number = value.get<double>();
      if (!(number >= rule.minimum && number <= rule.maximum))
        invalid(rule.name, "must be from " + format_number(rule.minimum) + " to " + format_number(rule.maximum) +
                               ", got " + value.dump());
      break;
    }
    case FieldType::choice: {
      if (!value.is_string() ||
          std::find(rule.choices.begin(), rule.choices.end(), value.get<std::string>()) == rule.choices.end())
        invalid(rule.name, "must be one of " + join(rule.choices) + ", got " + value.dump());
      break;
    }
  }
}

void validate_rag_block(const json& value) {
  if (!value.is_object())
    invalid("rag", "must be an object such as {\"collections\": [\"docs\"]}, got " + value.dump());
  std::vector<std::string_view> known;
  for (const auto& rule : rag_rules()) known.push_back(rule.name);
  for (const auto& [key, item] : value.items()) {
    const FieldRule* rule = nullptr;
    for (const auto& candidate : rag_rules())
      if (candidate.name == key) rule = &candidate;
    if (!rule) invalid("rag", "has an unknown key '" + key + "'; known keys: " + join(known));
    if (item.is_null()) continue;
    FieldRule named = *rule;
    std::string full_name = "rag." + key;
    named.name = full_name;
    if (key == "include_references") {
      if (!item.is_boolean()) invalid(full_name, "must be true or false, got " + item.dump());
      continue;
    }
    validate_field(named, item);
    if (key == "collections")
      for (size_t index = 0; index < item.size(); ++index) {
        if (item[index].get<std::string>().empty()) invalid(full_name, "has an empty collection name");
        for (size_t earlier = 0; earlier < index; ++earlier)
          if (item[earlier] == item[index])
            invalid(full_name, "lists '" + item[index].get<std::string>() + "' twice");
      }
    if (key == "rewrite_model") {
      auto text = item.get<std::string>();
      auto slash = text.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
        invalid(full_name, "must be PROVIDER/MODEL (e.g. openai/gpt-4o-mini), got '" + text + "'");
    }
  }
  auto collections = value.find("collections");
  if (collections == value.end() || !collections->is_array() || collections->empty())
    invalid("rag", "needs at least one collection (--collection C); to detach every collection, "
                   "remove the block with `--unset rag`");
}

}  // namespace

json RagSettings::to_json() const {
  return {{"collections", collections},     {"strategy", strategy},
          {"window", window},               {"top", top},
          {"min_score", min_score},         {"reranker", reranker},
          {"include_references", include_references},
          {"rewrite_model", rewrite_model.empty() ? json(nullptr) : json(rewrite_model)},
          {"max_tool_iterations", max_tool_iterations}};
}

const std::vector<std::string_view>& GatewayConfig::overridable_candidates() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> list;
    for (const auto& rule : rules())
      if (rule.sampling) list.push_back(rule.name);
    for (std::string_view extra : {"stop", "tools", "tool_choice", "response_format", "system", "prefill"})
      list.push_back(extra);
    return list;
  }();
  return names;
}

bool GatewayConfig::is_sampling_field(std::string_view name) {
  const auto* rule = find_rule(name);
  return rule && rule->sampling;
}

std::vector<std::string_view> GatewayConfig::field_names() {
  std::vector<std::string_view> names;
  for (const auto& rule : rules()) names.push_back(rule.name);
  return names;
}

GatewayConfig GatewayConfig::from_json(const json& object) {
  if (!object.is_object()) throw Error(ErrorKind::usage, "a gateway configuration must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    const auto* rule = find_rule(key);
    if (!rule) {
      std::string message = "unknown gateway field '" + key + "'";
      if (key == "tools")
        message += "; '" + key + "' is not supported by this version of weir";
      message += "; known fields: " + join(field_names());
      throw Error(ErrorKind::usage, message);
    }
    if (!value.is_null()) validate_field(*rule, value);
  }
  for (std::string_view required : {"provider", "model"}) {
    auto it = object.find(std::string(required));
    if (it == object.end() || !it->is_string() || it->get<std::string>().empty())
      throw Error(ErrorKind::usage, "a gateway needs a '" + std::string(required) + "' (--" +
                                        std::string(required) + ")");
  }
  if (auto it = object.find("prompt_template"); it != object.end() && it->is_string() &&
                                                 it->get<std::string>().find("{prompt}") == std::string::npos)
    invalid("prompt_template", "must contain {prompt}, where the user's message goes");
  if (auto it = object.find("system_urls"); it != object.end() && it->is_array())
    for (const auto& url : *it) {
      auto text = url.get<std::string>();
      if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
        invalid("system_urls", "entries must be http:// or https:// URLs, got '" + text + "'");
    }
  if (auto it = object.find("overridable"); it != object.end() && it->is_array())
    for (const auto& name : *it) {
      const auto& candidates = overridable_candidates();
      if (std::find(candidates.begin(), candidates.end(), name.get<std::string>()) == candidates.end())
        invalid("overridable", "names '" + name.get<std::string>() + "', which a request cannot override; allowed: " +
                                   join(candidates));
    }

  GatewayConfig config;
  // Store only the fields that are set: a null in the input means "unset".
  for (const auto& rule : rules()) {
    auto it = object.find(std::string(rule.name));
    if (it == object.end() || it->is_null()) continue;
    json value = *it;
    if (rule.name == "rag")  // a null key inside the block means "unset" too
      for (auto member = value.begin(); member != value.end();)
        member = member->is_null() ? value.erase(member) : std::next(member);
    config.fields_[std::string(rule.name)] = std::move(value);
  }
  return config;
}

GatewayConfig GatewayConfig::merged(const json& changes) const {
  json combined = fields_;
  for (const auto& [key, value] : changes.items()) {
    if (value.is_null())
      combined.erase(key);
    else if (key == "rag" && value.is_object() && combined.contains("rag") && combined["rag"].is_object())
      combined["rag"].merge_patch(value);  // key by key; a null unsets that key
    else
      combined[key] = value;
  }
  return from_json(combined);
}

json GatewayConfig::effective() const {
  json result = json::object();
  for (const auto& rule : rules()) {
    std::string name(rule.name);
    if (auto it = fields_.find(name); it != fields_.end()) {
      result[name] = name == "rag" ? rag()->to_json() : *it;
      continue;
    }
    if (name == "overridable") {
      json defaults = json::array();
      for (const auto& candidate : overridable_candidates())
        if (candidate != "system" && candidate != "prefill") defaults.push_back(candidate);
      result[name] = defaults;
    } else if (name == "on_overflow") {
      result[name] = "error";
    } else if (name == "rag") {
      result[name] = nullptr;  // no collections attached
    } else if (rule.type == FieldType::text) {
      result[name] = "";
    } else if (rule.type == FieldType::text_list || rule.type == FieldType::text_or_list) {
      result[name] = json::array();
    } else {
      result[name] = nullptr;  // not sent: the upstream's own default applies
    }
  }
  return result;
}

namespace {
std::string text_field(const json& fields, const char* name) {
  auto it = fields.find(name);
  return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::vector<std::string> list_field(const json& fields, const char* name) {
  std::vector<std::string> values;
  auto it = fields.find(name);
  if (it == fields.end()) return values;
  if (it->is_string()) return {it->get<std::string>()};
  for (const auto& item : *it) values.push_back(item.get<std::string>());
  return values;
}
}  // namespace

std::string GatewayConfig::provider() const { return text_field(fields_, "provider"); }
std::string GatewayConfig::model() const { return text_field(fields_, "model"); }
std::string GatewayConfig::system() const { return text_field(fields_, "system"); }
std::vector<std::string> GatewayConfig::system_files() const { return list_field(fields_, "system_files"); }
std::vector<std::string> GatewayConfig::system_urls() const { return list_field(fields_, "system_urls"); }
std::string GatewayConfig::prompt_template() const { return text_field(fields_, "prompt_template"); }
std::string GatewayConfig::prefill() const { return text_field(fields_, "prefill"); }
std::vector<std::string> GatewayConfig::stop() const { return list_field(fields_, "stop"); }

json GatewayConfig::sampling() const {
  json sampling = json::object();
  for (const auto& rule : rules())
    if (rule.sampling)
      if (auto it = fields_.find(std::string(rule.name)); it != fields_.end()) sampling[std::string(rule.name)] = *it;
  return sampling;
}

std::vector<std::string> GatewayConfig::overridable() const {
  return effective()["overridable"].get<std::vector<std::string>>();
}

std::optional<long long> GatewayConfig::max_context_tokens() const {
  auto it = fields_.find("max_context_tokens");
  if (it == fields_.end()) return std::nullopt;
  return it->get<long long>();
}

std::optional<int> GatewayConfig::tool_result_window() const {
  auto it = fields_.find("tool_result_window");
  if (it == fields_.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

std::string GatewayConfig::on_overflow() const {
  auto value = text_field(fields_, "on_overflow");
  return value.empty() ? "error" : value;
}

}  // namespace weir

namespace weir {

std::optional<RagSettings> GatewayConfig::rag() const {
  auto it = fields_.find("rag");
  if (it == fields_.end() || !it->is_object()) return std::nullopt;
  const json& block = *it;
  RagSettings settings;
  settings.collections = block.value("collections", std::vector<std::string>{});
  settings.strategy = block.value("strategy", settings.strategy);
  settings.window = block.value("window", settings.window);
  settings.top = block.value("top", settings.top);
  settings.min_score = block.value("min_score", settings.min_score);
  settings.reranker = block.value("reranker", settings.reranker);
  settings.include_references = block.value("include_references", settings.include_references);
  settings.rewrite_model = block.value("rewrite_model", settings.rewrite_model);
  settings.max_tool_iterations = block.value("max_tool_iterations", settings.max_tool_iterations);
  return settings;
}

}  // namespace weir
