// JsonSchema: compiled once, validated many times, every violation with the
// JSON pointer of the value at fault; unusable schemas refused at compile time.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/json_schema.hpp"

using namespace weir;
using nlohmann::json;

namespace {

const json kWeatherSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "city": {"type": "string", "minLength": 1},
    "days": {"type": "integer", "minimum": 1, "maximum": 7},
    "units": {"enum": ["metric", "imperial"]},
    "tags": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["city"],
  "additionalProperties": false
})");

bool has_violation_at(const std::vector<SchemaViolation>& violations, const std::string& pointer) {
  for (const auto& violation : violations)
    if (violation.pointer == pointer) return true;
  return false;
}

}  // namespace

TEST_CASE("json schema: a valid value has no violations") {
  auto schema = JsonSchema::compile(kWeatherSchema, "test");
  CHECK(schema.validate(json::parse(R"({"city": "Lyon"})")).empty());
  CHECK(schema.validate(json::parse(R"({"city": "Lyon", "days": 3, "units": "metric", "tags": ["a"]})")).empty());
}

TEST_CASE("json schema: each violation names the value by JSON pointer") {
  auto schema = JsonSchema::compile(kWeatherSchema, "test");
  auto violations = schema.validate(json::parse(R"({"city": "Lyon", "days": 9, "tags": ["a", 5]})"));
  REQUIRE(violations.size() == 2);
  CHECK(has_violation_at(violations, "/days"));
  CHECK(has_violation_at(violations, "/tags/1"));
  auto text = describe_violations(violations);
  CHECK(text.find("/days: ") != std::string::npos);
  CHECK(text.find("/tags/1: ") != std::string::npos);
}

TEST_CASE("json schema: missing required, unknown property, wrong root type") {
  auto schema = JsonSchema::compile(kWeatherSchema, "test");
  auto missing = schema.validate(json::object());
  REQUIRE_FALSE(missing.empty());
  CHECK(describe_violations(missing).find("city") != std::string::npos);
  CHECK_FALSE(schema.validate(json::parse(R"({"city": "Lyon", "country": "FR"})")).empty());
  auto root = schema.validate(json::array());
  REQUIRE_FALSE(root.empty());
  CHECK(root[0].pointer.empty());
  CHECK(describe_violations(root).rfind("(root): ", 0) == 0);
  // Strong types: the string "3" is not an integer.
  CHECK(has_violation_at(schema.validate(json::parse(R"({"city": "x", "days": "3"})")), "/days"));
}

TEST_CASE("json schema: local $ref, pattern and nested objects") {
  auto schema = JsonSchema::compile(json::parse(R"({
    "definitions": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
    "type": "object",
    "properties": {"from": {"$ref": "#/definitions/code"}, "leg": {"type": "object",
      "properties": {"to": {"$ref": "#/definitions/code"}}}}
  })"),
                                    "test");
  CHECK(schema.validate(json::parse(R"({"from": "CDG", "leg": {"to": "JFK"}})")).empty());
  auto violations = schema.validate(json::parse(R"({"from": "cdg", "leg": {"to": "J/K"}})"));
  CHECK(has_violation_at(violations, "/from"));
  CHECK(has_violation_at(violations, "/leg/to"));
}

TEST_CASE("json schema: a key with '/' or '~' is escaped in the pointer") {
  auto schema = JsonSchema::compile(json::parse(R"({"properties": {"a/b~c": {"type": "string"}}})"), "test");
  auto violations = schema.validate(json::parse(R"({"a/b~c": 1})"));
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].pointer == "/a~1b~0c");
}

TEST_CASE("json schema: unusable schemas are Error(usage) naming what they belong to") {
  auto refuses = [](const json& schema) {
    try {
      JsonSchema::compile(schema, "the parameters of function 'f'");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::usage);
      CHECK(std::string(error.what()).find("the parameters of function 'f' is not a usable JSON Schema") == 0);
      return true;
    }
    return false;
  };
  CHECK(refuses(json("object")));
  CHECK(refuses(json(42)));
  CHECK(refuses(json::parse(R"({"type": 7})")));
  CHECK(refuses(json::parse(R"({"$ref": "https://example.invalid/schema.json"})")));
}

TEST_CASE("json schema: describe_violations stops at the limit and counts the rest") {
  std::vector<SchemaViolation> many;
  for (int index = 0; index < 5; ++index) many.push_back({"/" + std::to_string(index), "bad"});
  auto text = describe_violations(many, 2);
  CHECK(text == "/0: bad; /1: bad; and 3 more");
}

TEST_CASE("json schema: a $ref chain that comes back on itself is refused, a recursive schema is not") {
  auto loop = json::parse(R"({"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"},
                                                                         "b": {"$ref": "#/definitions/a"}}})");
  try {
    JsonSchema::compile(loop, "the input schema of tool 'x'");
    FAIL("a $ref loop was compiled");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()).find("leads back to itself") != std::string::npos);
  }
  auto self = json::parse(R"({"properties": {"next": {"$ref": "#/properties/next"}}})");
  CHECK_THROWS_AS(JsonSchema::compile(self, "s"), Error);
  // A tree: the recursion goes through a property, which valijson handles.
  auto tree = json::parse(R"({"type": "object", "properties": {"child": {"$ref": "#"}, "name": {"type": "string"}}})");
  auto schema = JsonSchema::compile(tree, "tree");
  CHECK(schema.validate(json{{"name", "a"}, {"child", {{"name", "b"}}}}).empty());
  CHECK_FALSE(schema.validate(json{{"child", {{"name", 5}}}}).empty());
}

TEST_CASE("json schema: a long text is not run through a pattern (std::regex would overflow the stack)") {
  auto schema = JsonSchema::compile(json::parse(R"({"properties": {"code": {"type": "string", "pattern": "^(a|b)*$"}}})"), "s");
  CHECK(schema.validate(json{{"code", "abab"}}).empty());
  auto violations = schema.validate(json{{"code", std::string(1 << 20, 'a')}});
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].message.find("16 KiB") != std::string::npos);
  // Without patterns, long texts are checked as usual.
  auto plain = JsonSchema::compile(json::parse(R"({"properties": {"text": {"type": "string"}}})"), "s");
  CHECK(plain.validate(json{{"text", std::string(1 << 20, 'a')}}).empty());
}
