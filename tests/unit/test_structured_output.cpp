// Structured output without a model: finding JSON in an answer (fences,
// prose, trailing commas, missing braces, a truncated tail), checking it
// against a schema, and reading response_format and the gateway's fields.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "core/engine/json_extraction.hpp"
#include "core/engine/structured_output.hpp"
#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/json_input.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

json person_schema() {
  return {{"type", "object"},
          {"properties", {{"name", {{"type", "string"}}}, {"age", {{"type", "integer"}, {"minimum", 0}}}}},
          {"required", {"name", "age"}},
          {"additionalProperties", false}};
}

GatewayConfig config(json fields = json::object()) {
  fields["provider"] = "p";
  fields["model"] = "m";
  return GatewayConfig::from_json(fields);
}

StructuredOutput person_output() {
  auto output = StructuredOutput::resolve(config({{"response_schema", person_schema()}}), nullptr);
  REQUIRE(output);
  return *output;
}

json parsed(const std::string& text) {
  auto read = read_json(text);
  REQUIRE_MESSAGE(read.ok(), text);
  return read.value;
}

}  // namespace

TEST_CASE("repair: trailing commas go, open strings, arrays and objects are closed") {
  CHECK(repair_json_text(R"({"a": 1, "b": [1, 2,],})") == R"({"a": 1, "b": [1, 2]})");
  CHECK(parsed(repair_json_text(R"({"a": 1, "b": [1, 2)")) == json{{"a", 1}, {"b", {1, 2}}});
  CHECK(parsed(repair_json_text(R"({"a": "trunc)")) == json{{"a", "trunc"}});
  CHECK(parsed(repair_json_text(R"({"a": "x\)")) == json{{"a", "x"}});  // a dangling backslash
  CHECK(parsed(repair_json_text(R"({"a": 1, "b)")) == json{{"a", 1}, {"b", nullptr}});
  CHECK(parsed(repair_json_text(R"({"a": 1, "b":)")) == json{{"a", 1}, {"b", nullptr}});
  CHECK(parsed(repair_json_text(R"({"a": [{"b": 1}})")) == json{{"a", {{{"b", 1}}}}});  // ] before }
  CHECK(parsed(repair_json_text(R"({"s": "a,} ]"})")) == json{{"s", "a,} ]"}});  // strings untouched
  std::string valid = R"({"a": [1, {"b": null}], "c": "d"})";
  CHECK(repair_json_text(valid) == valid);
}

TEST_CASE("add_missing_openers puts the openers of unmatched closers in front") {
  CHECK(add_missing_openers(R"("a": 1})") == R"({"a": 1})");
  CHECK(add_missing_openers(R"("a": [1]})") == R"({"a": [1]})");
  CHECK(add_missing_openers(R"(1, 2])") == R"([1, 2])");
  CHECK(add_missing_openers(R"({"a": "}"})") == R"({"a": "}"})");
}

TEST_CASE("candidates: the whole answer first, then fenced blocks, spans and repairs") {
  auto candidates = json_candidates("Here you are:\n```json\n{\"a\": 1}\n```\nAnything else?");
  REQUIRE(candidates.size() >= 2);
  CHECK(candidates[0] == "Here you are:\n```json\n{\"a\": 1}\n```\nAnything else?");
  CHECK(candidates[1] == "{\"a\": 1}");
  // An unterminated fence runs to the end.
  auto truncated = json_candidates("```json\n{\"a\": [1, 2");
  CHECK(std::find(truncated.begin(), truncated.end(), "{\"a\": [1, 2]}") != truncated.end());
}

TEST_CASE("check: JSON found in a fence, after prose, with a trailing comma, a missing brace, a cut tail") {
  auto output = person_output();
  const json ada = {{"name", "Ada"}, {"age", 36}};
  for (const std::string answer : {
           R"({"name": "Ada", "age": 36})",
           "```json\n{\"name\": \"Ada\", \"age\": 36}\n```",
           "Sure! Here it is:\n~~~\n{\"name\": \"Ada\", \"age\": 36}\n~~~\nHope that helps.",
           R"(The person is {"name": "Ada", "age": 36}.)",
           R"({"name": "Ada", "age": 36,})",
           R"({"name": "Ada", "age": 36)",
           R"("name": "Ada", "age": 36})",
           R"("name": "Ada", "age": 36)",
       }) {
    CAPTURE(answer);
    auto check = output.check(answer);
    REQUIRE_MESSAGE(check.valid, check.problems);
    CHECK(check.value == ada);
    CHECK(parsed(check.text) == ada);  // the text is valid JSON on its own
  }
  // A candidate that parses but violates the schema does not win over a later valid one.
  auto check = output.check("Not {\"name\": 1}. Corrected:\n```json\n{\"name\": \"Ada\", \"age\": 36}\n```");
  CHECK(check.valid);
}

TEST_CASE("check: schema violations and answers without JSON say what is wrong") {
  auto output = person_output();
  auto wrong = output.check(R"({"name": "Ada", "age": "old"})");
  CHECK_FALSE(wrong.valid);
  CHECK(wrong.problems.find("/age") != std::string::npos);
  auto missing = output.check(R"({"name": "Ada"})");
  CHECK_FALSE(missing.valid);
  CHECK(missing.problems.find("age") != std::string::npos);
  auto prose = output.check("I cannot answer that.");
  CHECK_FALSE(prose.valid);
  CHECK(prose.problems.find("no JSON value") != std::string::npos);
}

TEST_CASE("json_object: any JSON object passes, other values do not") {
  auto output = StructuredOutput::resolve(config(), {{"type", "json_object"}});
  REQUIRE(output);
  CHECK(output->kind == StructuredOutput::Kind::json_object);
  CHECK(output->check(R"({"anything": [1]})").valid);
  auto array = output->check("[1, 2]");
  CHECK_FALSE(array.valid);
  CHECK(array.problems.find("JSON object") != std::string::npos);
  CHECK(output->native_response_format() == json{{"type", "json_object"}});
}

TEST_CASE("resolve: the request's response_format wins; json_only alone asks for an object; text is free") {
  CHECK_FALSE(StructuredOutput::resolve(config(), nullptr));
  CHECK_FALSE(StructuredOutput::resolve(config(), {{"type", "text"}}));
  auto only = StructuredOutput::resolve(config({{"json_only", true}}), nullptr);
  REQUIRE(only);
  CHECK(only->json_only);
  CHECK(only->kind == StructuredOutput::Kind::json_object);

  json format = {{"type", "json_schema"},
                 {"json_schema",
                  {{"name", "colour"},
                   {"strict", true},
                   {"schema", {{"type", "string"}}},
                   {"healing_options", {{"max_attempts", 5}}}}}};
  auto requested = StructuredOutput::resolve(config({{"response_schema", person_schema()}}), format);
  REQUIRE(requested);
  CHECK(requested->max_attempts == 5);
  CHECK(requested->schema == json{{"type", "string"}});
  // What goes upstream has no healing_options, which no provider knows.
  CHECK(requested->native_response_format() ==
        json{{"type", "json_schema"},
             {"json_schema", {{"name", "colour"}, {"schema", {{"type", "string"}}}, {"strict", true}}}});
  CHECK(requested->instructions().find(R"({"type":"string"})") != std::string::npos);

  auto gateway = StructuredOutput::resolve(config({{"response_schema", person_schema()}, {"healing_attempts", 2}}), nullptr);
  REQUIRE(gateway);
  CHECK(gateway->max_attempts == 2);
  CHECK(gateway->name == "response");
}

TEST_CASE("resolve: max_attempts outside 1..10, a bad schema or format is a usage error") {
  for (int attempts : {0, 11}) {
    json format = {{"type", "json_schema"},
                   {"json_schema", {{"schema", person_schema()}, {"healing_options", {{"max_attempts", attempts}}}}}};
    auto error = expect_error([&] { (void)StructuredOutput::resolve(config(), format); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()).find("from 1 to 10") != std::string::npos);
  }
  auto unknown = expect_error([&] { (void)StructuredOutput::resolve(config(), {{"type", "yaml"}}); });
  CHECK(unknown.kind() == ErrorKind::usage);
  auto not_text = expect_error([&] { (void)StructuredOutput::resolve(config(), {{"type", 1}}); });
  CHECK(not_text.kind() == ErrorKind::usage);
  CHECK(std::string(not_text.what()).find("must be a string") != std::string::npos);
  auto no_schema = expect_error([&] { (void)StructuredOutput::resolve(config(), {{"type", "json_schema"}}); });
  CHECK(no_schema.kind() == ErrorKind::usage);
  // The gateway field is checked when the gateway is saved.
  auto saved = expect_error([&] { (void)config({{"response_schema", {{"type", 7}}}}); });
  CHECK(saved.kind() == ErrorKind::usage);
  CHECK(std::string(saved.what()).find("response_schema") != std::string::npos);
  auto attempts = expect_error([&] { (void)config({{"healing_attempts", 11}}); });
  CHECK(std::string(attempts.what()).find("healing_attempts") != std::string::npos);
}

TEST_CASE("healing_message lists the problems and asks again") {
  auto message = healing_message("/age: must be an integer");
  CHECK(message["role"] == "user");
  CHECK(message["content"].get<std::string>().find("/age: must be an integer") != std::string::npos);
}

TEST_CASE("resolve reuses the schema compiled with the resolved target while it is the one in force") {
  auto precompiled = std::make_shared<const JsonSchema>(JsonSchema::compile(person_schema(), "the response schema"));
  auto same = StructuredOutput::resolve(config({{"response_schema", person_schema()}}), nullptr, precompiled);
  REQUIRE(same);
  CHECK(same->compiled == precompiled);
  // A request's own schema is compiled for it.
  json format = {{"type", "json_schema"}, {"json_schema", {{"schema", {{"type", "array"}}}}}};
  auto other = StructuredOutput::resolve(config({{"response_schema", person_schema()}}), format, precompiled);
  REQUIRE(other);
  CHECK(other->compiled != precompiled);
  CHECK(other->check("[1]").valid);
}

TEST_CASE("repair and extraction stay linear on hostile answers") {
  // 200 000 openers then as many closers of the other kind: a search per
  // closer, or an insert at the front per opener, would take minutes.
  std::string hostile = std::string(200'000, '[') + std::string(200'000, '}');
  auto repaired = repair_json_text(hostile);
  CHECK(repaired == std::string(200'000, '[') + std::string(200'000, ']'));
  CHECK(add_missing_openers(std::string(200'000, '}')) == std::string(200'000, '{') + std::string(200'000, '}'));
  auto output = person_output();
  auto check = output.check(hostile);  // nesting beyond weir's JSON depth limit parses as nothing
  CHECK_FALSE(check.valid);
}
