// The gateway schema table drives validation, defaults and merge: walk every
// row and check what a user relies on — its documented default shows in
// effective(), a valid value is accepted, and every invalid kind of value is
// refused with an error that names the field.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"
#include "core/gateway/gateway_config.hpp"

using namespace weir;

namespace {

json minimal() { return {{"provider", "local"}, {"model", "extractive"}}; }

// The smallest valid config with `block` set (a routing gateway names its
// models in the block instead of provider and model).
json with_block(const std::string& block) {
  if (block == "routing")
    return {{"routing", {{"targets", json::array({{{"provider", "local"}, {"model", "extractive"}}})}}}};
  auto config = minimal();
  if (block == "limits" || block == "budget" || block == "cache")  // no field is required
    config[block] = json::object();
  else if (block == "moderation")
    config[block] = {{"provider", "openai"}, {"model", "gpt-4o-mini"}};
  else
    config[block] = {{"collections", {"kb"}}};
  return config;
}

// The config with one field (a path such as "rag.top") set to `value`.
json with_field(const std::string& path, const json& value) {
  auto dot = path.find('.');
  if (dot == std::string::npos) {
    auto config = minimal();
    config[path] = value;
    return config;
  }
  auto block = path.substr(0, dot);
  auto config = with_block(block);
  config[block][path.substr(dot + 1)] = value;
  return config;
}

// A value each field accepts, by type; fields with an extra rule get one that meets it.
json valid_value(const std::string& path, const FieldSchema& field) {
  static const std::map<std::string, json> special = {
      {"prompt_template", "Question: {prompt}"},
      {"system_urls", json::array({"https://example.com/style.md"})},
      {"overridable", json::array({"temperature"})},
      {"rag.rewrite_model", "openai/gpt-4o-mini"},
      {"rag.collections", json::array({"kb", "notes"})},
      {"routing.targets", json::array({{{"provider", "local"}, {"model", "extractive"}},
                                       {{"provider", "openai"}, {"model", "gpt-4o-mini"}, {"weight", 2}}})},
      {"routing.router_model", "openai/gpt-4o-mini"},
      {"routing.mode", "loadbalance"},  // complexity also needs every target tiered
      {"routing.retry_on", json::array({"timeout", "server_error"})},
      {"routing.fall_through", json::array({"rate_limit", "context_length"})},
      {"functions", json::array({{{"name", "lookup"}, {"url", "http://127.0.0.1:9/lookup"}}})},
      {"function_sources", json::array({"https://example.com/functions.json"})},
      {"builtin_tools", json::array({"current_time", "open_url"})},
      {"guardrails", json::array({{{"type", "words"}, {"words", {"x"}}}})},
      {"moderation.thresholds", {{"sexual", 0.5}}},
      {"hooks", json::array({{{"url", "http://127.0.0.1:9/hook"}, {"events", {"message.received"}}}})},
  };
  if (auto it = special.find(path); it != special.end()) return it->second;
  switch (field.type) {
    case FieldType::text:
      return "some text";
    case FieldType::text_list:
    case FieldType::text_or_list:
      return json::array({"a", "b"});
    case FieldType::number:
      return (field.minimum + field.maximum) / 2;
    case FieldType::integer:
      return static_cast<long long>(field.maximum);
    case FieldType::boolean:
      return true;
    case FieldType::choice:
      return std::string(field.choices->back());
    case FieldType::block:
    case FieldType::record_list:
    case FieldType::object:
      break;
  }
  return nullptr;
}

// Values of the wrong type for a field.
json wrong_type(const FieldSchema& field) {
  switch (field.type) {
    case FieldType::text:
    case FieldType::choice:
    case FieldType::boolean:
      return 5;
    case FieldType::text_list:
    case FieldType::text_or_list:
      return json::array({1, 2});
    case FieldType::number:
      return "fast";
    case FieldType::integer:
      return 1.5;
    case FieldType::block:
    case FieldType::object:
      break;
    case FieldType::record_list:
      return "not an array";
  }
  return "not an object";
}

void check_refused(const json& config, const std::string& path) {
  try {
    GatewayConfig::from_json(config);
    FAIL_CHECK("accepted ", config.dump(), " for ", path);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::usage);
    CHECK_MESSAGE(std::string(error.what()).find("'" + path + "'") != std::string::npos, error.what());
  }
}

}  // namespace

TEST_CASE("every schema field: default in effective(), a valid value accepted, invalid ones refused") {
  auto defaults = GatewayConfig::from_json(minimal()).effective();
  for (const auto& [path, field] : leaf_fields()) {
    CAPTURE(path);
    auto dot = path.find('.');
    // Its default is what `gateway show` prints when it is unset.
    if (field->required) {
      CHECK(defaults.contains(path));
    } else if (dot == std::string::npos) {
      CHECK(defaults.at(path) == field->default_value);
    } else if (path != "rag.collections" && path != "routing.targets" && path != "moderation.provider" &&
               path != "moderation.model") {
      auto block = GatewayConfig::from_json(with_block(path.substr(0, dot)));
      CHECK(block.effective().at(path.substr(0, dot)).at(path.substr(dot + 1)) == field->default_value);
      CHECK(block.effective_value(path) == field->default_value);
    }

    auto value = valid_value(path, *field);
    auto accepted = GatewayConfig::from_json(with_field(path, value));
    CHECK(accepted.effective_value(path) == value);

    check_refused(with_field(path, wrong_type(*field)), path);
    if (field->type == FieldType::number || field->type == FieldType::integer) {
      bool integer = field->type == FieldType::integer;
      json below = integer ? json(static_cast<long long>(field->minimum) - 1) : json(field->minimum - 0.001);
      json above = integer ? json(static_cast<long long>(field->maximum) + 1) : json(field->maximum + 0.001);
      if (field->minimum > -1e15) check_refused(with_field(path, below), path);
      if (field->maximum < 1e15) check_refused(with_field(path, above), path);
    }
    if (field->type == FieldType::choice) check_refused(with_field(path, "no-such-choice"), path);
  }
}

TEST_CASE("the routing block: targets are records checked key by key, and the block's own rules") {
  auto routed = [](json block) { return json{{"routing", std::move(block)}}; };
  auto target = [](const char* provider, const char* model) { return json{{"provider", provider}, {"model", model}}; };
  auto config = GatewayConfig::from_json(routed({{"targets", {target("openai", "gpt-4o-mini"), target("local", "x")}}}));
  CHECK(config.provider() == "openai");  // the first target's: what a dry run shows
  CHECK(config.model() == "gpt-4o-mini");
  CHECK(config.providers() == std::vector<std::string>{"openai", "local"});
  auto settings = config.routing();
  REQUIRE(settings);
  CHECK(settings->mode == RoutingMode::fallback);
  CHECK(settings->attempts == 1);
  CHECK(settings->fall_through.count(FailureClass::server_error) == 1);
  CHECK(settings->fall_through.count(FailureClass::context_length) == 0);
  CHECK(settings->breaker_failures == 5);

  check_refused(routed({{"targets", json::array()}}), "routing");
  check_refused(routed({{"targets", {{{"provider", "openai"}}}}}), "routing.targets[0]");
  check_refused(routed({{"targets", {{{"provider", "openai"}, {"model", "m"}, {"wieght", 2}}}}}), "routing.targets[0]");
  check_refused(routed({{"targets", {target("a", "m"), target("a", "m")}}}), "routing.targets");
  check_refused(routed({{"targets", {target("a", "m")}}, {"mode", "complexity"}}), "routing.targets[0]");
  check_refused(routed({{"targets", {target("a", "m")}}, {"retry_on", {"sometimes"}}}), "routing.retry_on");
  json zero_weight = target("a", "m");
  zero_weight["weight"] = 0;
  check_refused(routed({{"targets", {zero_weight}}, {"mode", "loadbalance"}}), "routing.targets");
  // One upstream or several, never both.
  auto both = routed({{"targets", {target("a", "m")}}});
  both["provider"] = "openai";
  both["model"] = "gpt-4o";
  CHECK_THROWS_AS(GatewayConfig::from_json(both), Error);
  CHECK_THROWS_AS(GatewayConfig::from_json(json::object()), Error);

  // The flag form of a target.
  const auto* targets = find_field_schema("routing.targets");
  const bool parses_flags = targets->record_from_flag != nullptr;
  REQUIRE(parses_flags);
  CHECK(targets->record_from_flag("bedrock/anthropic.claude-3-5-haiku-20241022-v1:0,weight=2.5,tier=low") ==
        json{{"provider", "bedrock"}, {"model", "anthropic.claude-3-5-haiku-20241022-v1:0"}, {"weight", 2.5},
             {"tier", "low"}});
  CHECK_THROWS_AS(targets->record_from_flag("gpt-4o"), Error);
  CHECK_THROWS_AS(targets->record_from_flag("openai/gpt-4o,weight"), Error);
}

TEST_CASE("the schema's choices are the enum tables, and they round-trip") {
  CHECK(find_field_schema("rag.strategy")->choices == &enum_names<RagStrategy>());
  CHECK(find_field_schema("rag.reranker")->choices == &enum_names<RagReranker>());
  CHECK(find_field_schema("on_overflow")->choices == &enum_names<OverflowPolicy>());
  CHECK(find_field_schema("reasoning_effort")->choices == &enum_names<ReasoningEffort>());
  CHECK(find_field_schema("verbosity")->choices == &enum_names<Verbosity>());
  CHECK(parse_enum<RagStrategy>("query_function") == RagStrategy::query_function);
  CHECK(enum_name(RagReranker::rrf) == "rrf");
  CHECK_FALSE(parse_enum<Verbosity>("loud").has_value());

  auto config = GatewayConfig::from_json(with_field("rag.strategy", "full_rewrite")).merged({{"on_overflow", "truncate"}});
  CHECK(config.rag()->strategy_kind() == RagStrategy::full_rewrite);
  CHECK(config.rag()->reranker_kind() == RagReranker::lexical);
  CHECK(config.overflow_policy() == OverflowPolicy::truncate);
}

TEST_CASE("every flag comes from the table and is unique") {
  std::map<std::string, std::string> flags;
  for (const auto& [path, field] : leaf_fields()) {
    if (field->flag.empty()) continue;
    CHECK_MESSAGE(flags.emplace(std::string(field->flag), path).second, field->flag);
    CHECK(!help_text(*field).empty());
  }
  CHECK(flags.at("--top") == "rag.top");
  CHECK(help_text(*find_field_schema("rag.top")).find("1..128 (default 5)") != std::string::npos);
}

TEST_CASE("required fields and the rag block's collections") {
  CHECK_THROWS_WITH(GatewayConfig::from_json({{"model", "m"}}), doctest::Contains("needs a 'provider'"));
  CHECK_THROWS_WITH(GatewayConfig::from_json({{"provider", "local"}}), doctest::Contains("needs a 'model'"));
  auto no_collections = minimal();
  no_collections["rag"] = {{"top", 3}};
  CHECK_THROWS_WITH(GatewayConfig::from_json(no_collections), doctest::Contains("at least one collection"));
  CHECK_THROWS_WITH(GatewayConfig::from_json(with_field("rag.collections", json::array({"kb", "kb"}))),
                    doctest::Contains("lists 'kb' twice"));
  auto not_object = minimal();
  not_object["rag"] = "kb";
  CHECK_THROWS_WITH(GatewayConfig::from_json(not_object), doctest::Contains("'rag' must be an object"));
}

TEST_CASE("nested blocks merge key by key; null unsets a key, the block or a field") {
  auto base = GatewayConfig::from_json(with_field("rag.strategy", "concatenate")).merged({{"temperature", 0.5}});
  auto merged = base.merged({{"rag", {{"top", 8}}}});
  CHECK(merged.rag()->collections == std::vector<std::string>{"kb"});
  CHECK(merged.rag()->strategy == "concatenate");
  CHECK(merged.rag()->top == 8);
  CHECK(merged.fields()["temperature"] == 0.5);

  auto unset_key = merged.merged({{"rag", {{"strategy", nullptr}}}});
  CHECK(unset_key.rag()->strategy == "plain");
  CHECK_FALSE(unset_key.fields()["rag"].contains("strategy"));
  CHECK(unset_key.rag()->top == 8);

  CHECK_FALSE(merged.merged({{"rag", nullptr}}).rag().has_value());
  CHECK(merged.merged({{"rag", nullptr}}).effective()["rag"].is_null());
  CHECK_FALSE(merged.merged({{"temperature", nullptr}}).fields().contains("temperature"));

  // A failed merge leaves the original untouched.
  CHECK_THROWS_AS(merged.merged({{"rag", {{"top", 0}}}}), Error);
  CHECK(merged.rag()->top == 8);
}

TEST_CASE("unknown keys are named, with the closest known one") {
  auto top_level = minimal();
  top_level["temprature"] = 0.1;
  CHECK_THROWS_WITH(GatewayConfig::from_json(top_level),
                    doctest::Contains("unknown gateway field 'temprature'; did you mean 'temperature'?"));
  auto planned = minimal();
  planned["tools"] = json::array();
  CHECK_THROWS_WITH(GatewayConfig::from_json(planned), doctest::Contains("not supported by this version"));
  CHECK_THROWS_WITH(GatewayConfig::from_json(with_field("rag.tpo", 3)),
                    doctest::Contains("'rag' has an unknown key 'tpo'; did you mean 'top'?"));
}

TEST_CASE("export keeps only what was set; the accessors read the table's defaults") {
  auto config = GatewayConfig::from_json(with_field("rag.top", 9)).merged({{"tool_result_window", 4}});
  CHECK(config.fields() == json{{"provider", "local"},
                                {"model", "extractive"},
                                {"rag", {{"collections", {"kb"}}, {"top", 9}}},
                                {"tool_result_window", 4}});
  CHECK(config.tool_result_window() == 4);
  CHECK_FALSE(GatewayConfig::from_json(minimal()).tool_result_window().has_value());
  CHECK(config.on_overflow() == "error");
  CHECK(config.rag()->min_score == doctest::Approx(0.2));
  CHECK(config.overridable() == GatewayConfig::from_json(minimal()).effective()["overridable"].get<std::vector<std::string>>());
}
