#include "core/gateway/gateway_config.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"

namespace weir {

namespace {

const FieldSchema* find_top_level(std::string_view name) {
  for (const auto& field : gateway_schema())
    if (field.name == name) return &field;
  return nullptr;
}

// Blocks other versions of weir know and this one does not yet: a file that
// sets one gets a clearer error than "unknown".
constexpr std::string_view kPlannedBlocks[] = {"tools", "guardrails", "cache", "limits"};

[[noreturn]] void unknown_field(const std::string& key) {
  std::string message = "unknown gateway field '" + key + "'";
  if (std::find(std::begin(kPlannedBlocks), std::end(kPlannedBlocks), key) != std::end(kPlannedBlocks))
    message += "; '" + key + "' is not supported by this version of weir";
  std::vector<std::string> known;
  for (auto name : GatewayConfig::field_names()) known.emplace_back(name);
  if (auto close = closest_names(key, known); !close.empty()) message += "; did you mean '" + close[0] + "'?";
  std::string listed;
  for (const auto& name : known) listed += (listed.empty() ? "" : ", ") + name;
  throw Error(ErrorKind::usage, message + "; known fields: " + listed);
}

// A block's effective value: every key, set or default.
json effective_block(const FieldSchema& block, const json& set) {
  json result = json::object();
  for (const auto& member : *block.fields) {
    std::string name(member.name);
    auto it = set.find(name);
    result[name] = it != set.end() ? *it : member.default_value;
  }
  return result;
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

RagStrategy RagSettings::strategy_kind() const { return parse_enum<RagStrategy>(strategy).value_or(RagStrategy::plain); }

RagReranker RagSettings::reranker_kind() const {
  return parse_enum<RagReranker>(reranker).value_or(RagReranker::lexical);
}

const std::vector<std::string_view>& GatewayConfig::overridable_candidates() { return request_overridable_fields(); }

bool GatewayConfig::is_sampling_field(std::string_view name) {
  const auto* field = find_top_level(name);
  return field && field->sampling;
}

std::vector<std::string_view> GatewayConfig::field_names() {
  std::vector<std::string_view> names;
  for (const auto& field : gateway_schema()) names.push_back(field.name);
  return names;
}

GatewayConfig GatewayConfig::from_json(const json& object) {
  if (!object.is_object()) throw Error(ErrorKind::usage, "a gateway configuration must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    const auto* field = find_top_level(key);
    if (!field) unknown_field(key);
    if (!value.is_null()) check_field_value(key, *field, value);
  }
  auto is_set = [&](const char* name) {
    auto it = object.find(name);
    return it != object.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty());
  };
  if (is_set("routing")) {
    // Two places naming the upstream would leave a reader guessing which one serves.
    for (const char* name : {"provider", "model"})
      if (is_set(name))
        throw Error(ErrorKind::usage,
                    std::string("a gateway with a routing block names its models in routing.targets, but '") + name +
                        "' is set too; unset provider and model (`--unset provider --unset model`), or remove the "
                        "routing block (`--unset routing`)");
  } else {
    for (const auto& field : gateway_schema()) {
      if (!field.required || is_set(std::string(field.name).c_str())) continue;
      throw Error(ErrorKind::usage, "a gateway needs a '" + std::string(field.name) + "' (" +
                                        std::string(field.flag) + "), or several upstreams in a routing block "
                                        "(--target PROVIDER/MODEL, repeated)");
    }
  }

  GatewayConfig config;
  // Store only the fields that are set: a null in the input means "unset".
  for (const auto& field : gateway_schema()) {
    auto it = object.find(std::string(field.name));
    if (it == object.end() || it->is_null()) continue;
    json value = *it;
    if (field.type == FieldType::block)  // a null key inside a block means "unset" too
      for (auto member = value.begin(); member != value.end();)
        member = member->is_null() ? value.erase(member) : std::next(member);
    config.fields_[std::string(field.name)] = std::move(value);
  }
  return config;
}

GatewayConfig GatewayConfig::merged(const json& changes) const {
  if (!changes.is_object()) throw Error(ErrorKind::usage, "gateway changes must be a JSON object");
  json combined = fields_;
  for (const auto& [key, value] : changes.items()) {
    const auto* field = find_top_level(key);
    if (value.is_null())
      combined.erase(key);
    else if (field && field->type == FieldType::block && value.is_object() && combined.contains(key) &&
             combined[key].is_object())
      combined[key].merge_patch(value);  // key by key; a null unsets that key
    else
      combined[key] = value;
  }
  return from_json(combined);
}

json GatewayConfig::effective() const {
  json result = json::object();
  for (const auto& field : gateway_schema()) {
    std::string name(field.name);
    auto it = fields_.find(name);
    if (field.type == FieldType::block)
      result[name] = it != fields_.end() ? effective_block(field, *it) : json(nullptr);  // null: the block is off
    else
      result[name] = it != fields_.end() ? *it : field.default_value;
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

namespace {
// The first routing target's field, for a gateway that routes.
std::string first_target_field(const json& fields, const char* name) {
  auto routing = fields.find("routing");
  if (routing == fields.end() || !routing->is_object()) return {};
  auto targets = routing->find("targets");
  if (targets == routing->end() || !targets->is_array() || targets->empty()) return {};
  return text_field(targets->front(), name);
}
}  // namespace

std::string GatewayConfig::provider() const {
  auto own = text_field(fields_, "provider");
  return own.empty() ? first_target_field(fields_, "provider") : own;
}
std::string GatewayConfig::model() const {
  auto own = text_field(fields_, "model");
  return own.empty() ? first_target_field(fields_, "model") : own;
}

std::vector<std::string> GatewayConfig::providers() const {
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  add(text_field(fields_, "provider"));
  if (auto settings = routing()) {
    for (const auto& target : settings->targets) add(target.provider);
    add(settings->router_model.substr(0, settings->router_model.find('/')));
  }
  return names;
}
std::string GatewayConfig::system() const { return text_field(fields_, "system"); }
std::vector<std::string> GatewayConfig::system_files() const { return list_field(fields_, "system_files"); }
std::vector<std::string> GatewayConfig::system_urls() const { return list_field(fields_, "system_urls"); }
std::string GatewayConfig::prompt_template() const { return text_field(fields_, "prompt_template"); }
std::string GatewayConfig::prefill() const { return text_field(fields_, "prefill"); }
std::vector<std::string> GatewayConfig::stop() const { return list_field(fields_, "stop"); }

json GatewayConfig::sampling() const {
  json sampling = json::object();
  for (const auto& field : gateway_schema())
    if (field.sampling)
      if (auto it = fields_.find(std::string(field.name)); it != fields_.end()) sampling[std::string(field.name)] = *it;
  return sampling;
}

std::vector<std::string> GatewayConfig::overridable() const {
  return effective_value("overridable").get<std::vector<std::string>>();
}

std::optional<long long> GatewayConfig::max_context_tokens() const {
  auto it = fields_.find("max_context_tokens");
  if (it == fields_.end()) return std::nullopt;
  return it->get<long long>();
}

std::optional<int> GatewayConfig::tool_result_window() const {
  auto it = fields_.find("tool_result_window");
  if (it == fields_.end()) return std::nullopt;
  return it->get<int>();
}

std::string GatewayConfig::on_overflow() const { return effective_value("on_overflow").get<std::string>(); }

OverflowPolicy GatewayConfig::overflow_policy() const {
  return parse_enum<OverflowPolicy>(on_overflow()).value_or(OverflowPolicy::error);
}

json GatewayConfig::effective_value(std::string_view path) const {
  const auto* field = find_field_schema(path);
  if (!field) throw Error(ErrorKind::usage, "no gateway field '" + std::string(path) + "'");
  auto dot = path.find('.');
  auto it = fields_.find(std::string(path.substr(0, dot)));
  if (dot == std::string_view::npos) {
    if (it != fields_.end()) return *it;
    return field->type == FieldType::block ? json(nullptr) : field->default_value;
  }
  if (it != fields_.end() && it->is_object())
    if (auto member = it->find(std::string(path.substr(dot + 1))); member != it->end()) return *member;
  return field->default_value;
}

std::optional<RagSettings> GatewayConfig::rag() const {
  auto it = fields_.find("rag");
  if (it == fields_.end() || !it->is_object()) return std::nullopt;
  // Defaults come from the schema table, not from RagSettings' initialisers.
  auto block = effective_block(*find_top_level("rag"), *it);
  RagSettings settings;
  settings.collections = block["collections"].get<std::vector<std::string>>();
  settings.strategy = block["strategy"].get<std::string>();
  settings.window = block["window"].get<int>();
  settings.top = block["top"].get<int>();
  settings.min_score = block["min_score"].get<double>();
  settings.reranker = block["reranker"].get<std::string>();
  settings.include_references = block["include_references"].get<bool>();
  settings.rewrite_model = block["rewrite_model"].is_string() ? block["rewrite_model"].get<std::string>() : "";
  settings.max_tool_iterations = block["max_tool_iterations"].get<int>();
  return settings;
}

std::optional<RoutingSettings> GatewayConfig::routing() const {
  auto it = fields_.find("routing");
  if (it == fields_.end() || !it->is_object()) return std::nullopt;
  return RoutingSettings::from_effective(effective_block(*find_top_level("routing"), *it));
}

}  // namespace weir
