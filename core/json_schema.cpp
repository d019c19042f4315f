#include "core/json_schema.hpp"

#include <set>
#include <stdexcept>

// valijson throws std::runtime_error for a schema it cannot read instead of
// aborting the process (its default without exceptions).
#define VALIJSON_USE_EXCEPTIONS 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#pragma GCC diagnostic pop

#include "core/error.hpp"

namespace weir {

struct JsonSchema::Compiled {
  valijson::Schema schema;
  bool uses_regex = false;  // pattern, patternProperties, or a date/time format
};

JsonSchema::JsonSchema(nlohmann::json document, std::shared_ptr<const Compiled> compiled)
    : document_(std::move(document)), compiled_(std::move(compiled)) {}

namespace {

// valijson follows a chain of `$ref`s until it reaches a schema that is not
// one, so a chain that comes back on itself recurses until the stack is gone:
// such a schema is refused before it is parsed.
void refuse_ref_loops(const nlohmann::json& root, const nlohmann::json& node, const std::string& what, int depth = 0) {
  if (depth > 256) throw Error(ErrorKind::usage, what + " is not a usable JSON Schema: nested past 256 levels");
  if (node.is_object()) {
    if (auto ref = node.find("$ref"); ref != node.end() && ref->is_string()) {
      std::set<std::string> seen;
      const nlohmann::json* at = &node;
      while (at->is_object() && at->contains("$ref") && (*at)["$ref"].is_string()) {
        auto target = (*at)["$ref"].get<std::string>();
        if (target.empty() || target[0] != '#') break;  // remote: refused by the parser
        if (!seen.insert(target).second)
          throw Error(ErrorKind::usage, what + " is not a usable JSON Schema: its $ref " + target +
                                            " leads back to itself");
        try {
          at = &root.at(nlohmann::json::json_pointer(target.substr(1)));
        } catch (const std::exception&) {
          break;  // a dangling ref: the parser says so
        }
      }
    }
    for (const auto& [key, value] : node.items()) refuse_ref_loops(root, value, what, depth + 1);
  } else if (node.is_array()) {
    for (const auto& value : node) refuse_ref_loops(root, value, what, depth + 1);
  }
}

bool uses_regex(const nlohmann::json& node, int depth = 0) {
  if (depth > 256) return true;
  if (node.is_object()) {
    if (node.contains("pattern") || node.contains("patternProperties")) return true;
    if (auto format = node.find("format"); format != node.end() && format->is_string()) {
      const auto& name = format->get_ref<const std::string&>();
      if (name == "date" || name == "time" || name == "date-time") return true;
    }
    for (const auto& [key, value] : node.items())
      if (uses_regex(value, depth + 1)) return true;
  } else if (node.is_array()) {
    for (const auto& value : node)
      if (uses_regex(value, depth + 1)) return true;
  }
  return false;
}

// std::regex (which valijson uses) recurses once per character matched: a
// long enough string overflows the stack of the thread checking it.
constexpr size_t kLongestRegexInput = 16 * 1024;

bool holds_long_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get_ref<const std::string&>().size() > kLongestRegexInput;
  if (value.is_object()) {
    for (const auto& [key, member] : value.items())
      if (key.size() > kLongestRegexInput || holds_long_text(member)) return true;
  } else if (value.is_array()) {
    for (const auto& member : value)
      if (holds_long_text(member)) return true;
  }
  return false;
}

}  // namespace

JsonSchema JsonSchema::compile(const nlohmann::json& schema, const std::string& what) {
  if (!schema.is_object() && !schema.is_boolean())
    throw Error(ErrorKind::usage, what + " is not a usable JSON Schema: it must be an object (such as "
                                         "{\"type\": \"object\", \"properties\": {...}}), got " +
                                      schema.dump());
  refuse_ref_loops(schema, schema, what);
  auto compiled = std::make_shared<Compiled>();
  compiled->uses_regex = uses_regex(schema);
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, compiled->schema);
  } catch (const std::exception& error) {
    throw Error(ErrorKind::usage, what + " is not a usable JSON Schema: " + error.what() +
                                      "; fix the schema (draft 7; remote $ref is not followed)");
  }
  return JsonSchema(schema, std::move(compiled));
}

namespace {

// valijson's context is a path of "<root>", "[key]" and "[index]" steps.
std::string pointer_of(const std::vector<std::string>& context) {
  std::string pointer;
  for (const auto& step : context) {
    if (step == "<root>") continue;
    std::string token = step.size() >= 2 && step.front() == '[' && step.back() == ']'
                            ? step.substr(1, step.size() - 2)
                            : step;
    std::string escaped;
    for (char character : token) {
      if (character == '~') escaped += "~0";
      else if (character == '/') escaped += "~1";
      else escaped += character;
    }
    pointer += "/" + escaped;
  }
  return pointer;
}

}  // namespace

std::vector<SchemaViolation> JsonSchema::validate(const nlohmann::json& value) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(value);
  std::vector<SchemaViolation> violations;
  if (compiled_->uses_regex && holds_long_text(value)) {
    violations.push_back({"", "a text of over 16 KiB cannot be checked against this schema's patterns; send it shorter"});
    return violations;
  }
  try {
    if (validator.validate(compiled_->schema, adapter, &results)) return violations;
  } catch (const std::exception& error) {
    // A pattern std::regex cannot compile surfaces only when it is used.
    violations.push_back({"", std::string("the schema could not be applied: ") + error.what()});
    return violations;
  }
  valijson::ValidationResults::Error error;
  while (results.popError(error)) violations.push_back({pointer_of(error.context), error.description});
  // A `false` schema (at the root, behind a $ref, or for propertyNames)
  // fails without a description: the value is still invalid.
  if (violations.empty()) violations.push_back({"", "the schema allows no value here (a false schema)"});
  // valijson reports the enclosing failures too ("Failed to validate against
  // schema associated with property name 'x'."); the innermost say what is wrong.
  if (violations.size() > 1) {
    std::vector<SchemaViolation> innermost;
    for (const auto& violation : violations) {
      bool encloses = false;
      for (const auto& other : violations)
        if (&other != &violation && other.pointer.size() > violation.pointer.size() &&
            other.pointer.compare(0, violation.pointer.size(), violation.pointer) == 0 &&
            other.pointer[violation.pointer.size()] == '/')
          encloses = true;
      if (!encloses) innermost.push_back(violation);
    }
    violations = std::move(innermost);
  }
  return violations;
}

std::string describe_violations(const std::vector<SchemaViolation>& violations, size_t limit) {
  std::string text;
  size_t shown = 0;
  for (const auto& violation : violations) {
    if (shown == limit) {
      text += "; and " + std::to_string(violations.size() - shown) + " more";
      break;
    }
    if (!text.empty()) text += "; ";
    text += (violation.pointer.empty() ? std::string("(root)") : violation.pointer) + ": " + violation.message;
    ++shown;
  }
  return text;
}

}  // namespace weir
