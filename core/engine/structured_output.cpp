#include "core/engine/structured_output.hpp"

#include "core/engine/json_extraction.hpp"
#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

int attempts_from(const json& value, const std::string& what) {
  if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > kMostHealingAttempts)
    throw Error(ErrorKind::usage, what + " must be an integer from 1 to " + std::to_string(kMostHealingAttempts) +
                                      ", got " + value.dump());
  return value.get<int>();
}

// {"type": "json_schema", "json_schema": {...}} from a request.
void read_json_schema_format(const json& format, StructuredOutput& output) {
  auto spec = format.find("json_schema");
  if (spec == format.end() || !spec->is_object())
    throw Error(ErrorKind::usage,
                "response_format json_schema needs a \"json_schema\" object: {\"name\", \"schema\", \"strict\", "
                "\"healing_options\": {\"max_attempts\"}}");
  auto schema = spec->find("schema");
  if (schema == spec->end() || (!schema->is_object() && !schema->is_boolean()))
    throw Error(ErrorKind::usage, "response_format json_schema needs json_schema.schema, a JSON Schema object");
  output.kind = StructuredOutput::Kind::json_schema;
  output.schema = *schema;
  if (auto name = spec->find("name"); name != spec->end()) {
    if (!name->is_string() || name->get_ref<const std::string&>().empty())
      throw Error(ErrorKind::usage, "response_format json_schema.name must be a non-empty string");
    output.name = name->get<std::string>();
  }
  if (auto strict = spec->find("strict"); strict != spec->end() && !strict->is_null()) {
    if (!strict->is_boolean()) throw Error(ErrorKind::usage, "response_format json_schema.strict must be true or false");
    output.strict = strict->get<bool>();
  }
  if (auto healing = spec->find("healing_options"); healing != spec->end() && !healing->is_null()) {
    if (!healing->is_object())
      throw Error(ErrorKind::usage, "response_format json_schema.healing_options must be an object: {\"max_attempts\": N}");
    for (const auto& [key, value] : healing->items()) {
      if (key != "max_attempts")
        throw Error(ErrorKind::usage, "response_format json_schema.healing_options has an unknown key '" + key +
                                          "'; it takes max_attempts");
      output.max_attempts = attempts_from(value, "response_format json_schema.healing_options.max_attempts");
    }
  }
}

}  // namespace

std::optional<StructuredOutput> StructuredOutput::resolve(const GatewayConfig& config, const json& response_format,
                                                          std::shared_ptr<const JsonSchema> precompiled) {
  StructuredOutput output;
  output.max_attempts = attempts_from(config.effective_value("healing_attempts"), "healing_attempts");
  output.json_only = config.effective_value("json_only").get<bool>();
  bool asked = false;
  if (response_format.is_object()) {
    auto type_member = response_format.find("type");
    if (type_member != response_format.end() && !type_member->is_string())
      throw Error(ErrorKind::usage, "response_format.type must be a string: text, json_object or json_schema");
    std::string type = response_format.value("type", "");
    if (type == "json_schema") {
      read_json_schema_format(response_format, output);
      asked = true;
    } else if (type == "json_object") {
      output.kind = Kind::json_object;
      asked = true;
    } else if (type != "text") {
      throw Error(ErrorKind::usage, "response_format type '" + type + "' is not one of text, json_object, json_schema");
    }
  }
  if (!asked) {
    json schema = config.effective_value("response_schema");
    if (!schema.is_null()) {
      output.kind = Kind::json_schema;
      output.schema = std::move(schema);
      asked = true;
    } else if (output.json_only) {
      output.kind = Kind::json_object;
      asked = true;
    }
  }
  if (!asked) return std::nullopt;
  if (output.kind == Kind::json_schema) {
    if (precompiled && precompiled->document() == output.schema)
      output.compiled = std::move(precompiled);
    else
      output.compiled = std::make_shared<const JsonSchema>(JsonSchema::compile(output.schema, "the response schema"));
  }
  return output;
}

std::string StructuredOutput::instructions() const {
  if (kind == Kind::json_object)
    return "Answer with one JSON object and nothing else: no prose before or after it, no code fence.";
  return "Answer with one JSON value that conforms to the JSON Schema below, and nothing else: no prose before or "
         "after it, no code fence.\nJSON Schema:\n" +
         schema.dump(-1, ' ', false, json::error_handler_t::replace);
}

json StructuredOutput::native_response_format() const {
  if (kind == Kind::json_object) return {{"type", "json_object"}};
  json spec = {{"name", name}, {"schema", schema}};
  if (strict) spec["strict"] = *strict;
  return {{"type", "json_schema"}, {"json_schema", std::move(spec)}};
}

StructuredCheck StructuredOutput::check(std::string_view answer) const {
  StructuredCheck result;
  std::optional<std::string> first_problems;
  for (auto& candidate : json_candidates(answer)) {
    JsonReadResult read = read_json(candidate);
    if (!read.ok()) continue;
    std::string problems;
    if (kind == Kind::json_object) {
      if (!read.value.is_object()) problems = "(root): the answer must be a JSON object, got " + std::string(read.value.type_name());
    } else {
      auto violations = compiled->validate(read.value);
      if (!violations.empty()) problems = describe_violations(violations);
    }
    if (problems.empty()) {
      result.valid = true;
      result.text = std::move(candidate);
      result.value = std::move(read.value);
      return result;
    }
    if (!first_problems) first_problems = std::move(problems);
  }
  if (first_problems) {
    result.problems = std::move(*first_problems);
  } else {
    JsonReadResult whole = read_json(answer);
    result.problems = "the answer holds no JSON value" +
                      (whole.ok() ? std::string() : " (" + whole.problem->description + ")");
  }
  return result;
}

json healing_message(const std::string& problems) {
  return {{"role", "user"},
          {"content", "Your previous answer is not valid: " + problems +
                          "\nAnswer again with only the corrected JSON, following the required shape exactly."}};
}

}  // namespace weir
