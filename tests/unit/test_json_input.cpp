// The JSON input policy (core/json_input.hpp) and the JSONL line parser that
// uses it: hostile text (deep nesting, numbers beyond a double, invalid UTF-8,
// keys given twice) is a reported problem with its kind and byte, never a
// crash, an exception of nlohmann's own, or an "internal error".
#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/rag/jsonl_import.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

std::string nested_array(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("json input: ordinary JSON is read as nlohmann reads it") {
  auto result = read_json(R"( {"a": [1, -2, 3.5, "x\u00e9", null, true], "b": {"c": 18446744073709551615}} )");
  REQUIRE(result.ok());
  CHECK(result.value["a"][1] == -2);
  CHECK(result.value["a"][3] == "x\xc3\xa9");
  CHECK(result.value["b"]["c"].get<uint64_t>() == 18446744073709551615ull);
  CHECK(read_json("42").value == 42);
  CHECK(read_json("1e308").ok());
}

TEST_CASE("json input: nesting is limited without recursion, at any depth") {
  CHECK(read_json(nested_array(kMaxJsonDepth)).ok());
  auto over = read_json(nested_array(kMaxJsonDepth + 1));
  REQUIRE_FALSE(over.ok());
  CHECK(over.problem->kind == JsonProblemKind::too_deep);
  CHECK(over.problem->byte == kMaxJsonDepth + 1);
  CHECK(contains(over.problem->description, "nested more than 128 levels deep (at byte 129)"));
  // The depth that crashed `collection import` (exit 139), and far beyond.
  for (size_t depth : {size_t{100'000}, size_t{2'000'000}}) {
    auto deep = read_json(R"({"docid":"b","text":"t","__tags":)" + nested_array(depth) + "}");
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.problem->kind == JsonProblemKind::too_deep);
  }
  // Unclosed, too: refused at the limit, not after reading it all.
  CHECK(read_json(std::string(1'000'000, '[')).problem->kind == JsonProblemKind::too_deep);
  std::string objects;
  for (int level = 0; level < 100'000; ++level) objects += "{\"a\":";
  CHECK(read_json(objects).problem->kind == JsonProblemKind::too_deep);
  // Brackets inside strings are text.
  CHECK(read_json("\"" + std::string(1000, '[') + "\"").ok());
  // A caller may ask for less.
  CHECK(read_json(nested_array(3), 2).problem->kind == JsonProblemKind::too_deep);
}

TEST_CASE("json input: a number too large for a double is the input's problem, with its byte") {
  for (const char* text : {R"({"x": 1e999})", R"({"x": -1e999})", R"([1E400])"}) {
    auto result = read_json(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.problem->kind == JsonProblemKind::number_too_large);
    CHECK(result.problem->byte > 0);
    CHECK(contains(result.problem->description, "too large"));
  }
  CHECK(contains(read_json(R"({"x": 1e999})").problem->description, "the number 1e999 at byte"));
  // An integer beyond 64 bits is still a double, as JSON allows.
  CHECK(read_json("123456789012345678901234567890").ok());
}

TEST_CASE("json input: invalid UTF-8 and lone surrogates are named as such") {
  for (std::string text : {std::string("\"caf\xe9\""), std::string("\"\xff\xfe\""), std::string("\"cut \xe2\x82\""),
                           std::string(R"("\ud800")"), std::string("\"\xed\xa0\x80\"")}) {
    auto result = read_json(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.problem->kind == JsonProblemKind::invalid_utf8);
    CHECK(contains(result.problem->description, "invalid UTF-8"));
  }
}

TEST_CASE("json input: a key given twice in one object is refused; in different objects it is fine") {
  auto twice = read_json(R"({"model": "a", "x": 1, "model": "b"})");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.problem->kind == JsonProblemKind::duplicate_key);
  CHECK(contains(twice.problem->description, "\"model\" appears twice"));
  CHECK(read_json(R"({"a": {"k": 1}, "b": {"k": 2}, "k": 3})").ok());
  CHECK(read_json(R"({"outer": [{"k": 1, "k": 2}]})").problem->kind == JsonProblemKind::duplicate_key);
}

TEST_CASE("json input: syntax errors say where; trailing text is an error") {
  for (const char* text : {"", "{", "{\"a\" 1}", "[1,]", "{} {}", "nul", "{'a': 1}"}) {
    auto result = read_json(text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.problem->kind == JsonProblemKind::syntax);
    CHECK(contains(result.problem->description, "syntax error at byte"));
  }
}

TEST_CASE("json input: read_json_or_throw raises the caller's kind, naming the input") {
  auto error = expect_error([] { read_json_or_throw(R"({"temperature": 1e999})", "the request body", ErrorKind::usage); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "the request body is not acceptable JSON: the number 1e999"));
  auto upstream = expect_error([] { read_json_or_throw("[[", "the answer", ErrorKind::upstream); });
  CHECK(upstream.kind() == ErrorKind::upstream);
  CHECK(read_json_or_throw(R"({"a": 1})", "x", ErrorKind::usage)["a"] == 1);
}

TEST_CASE("jsonl line: hostile lines are rejected with a reason, never a crash") {
  Document document;
  CHECK(contains(parse_document_line(R"({"docid":"b","text":"t","__tags":)" + nested_array(100'000) + "}", document),
                 "nested more than 128 levels"));
  CHECK(contains(parse_document_line(R"({"docid":"m","text":"t","__meta":{"x":1e999}})", document),
                 "the number 1e999"));
  CHECK(contains(parse_document_line(R"({"docid":"a","text":"one","docid":"b"})", document),
                 "\"docid\" appears twice"));
  CHECK(parse_document_line("{\"docid\":\"u\",\"text\":\"\\udc00\"}", document).rfind("invalid UTF-8", 0) == 0);
  // Deep but within the limit: parsed, then judged by the document rules.
  CHECK(parse_document_line(R"({"docid":"d","text":"t","__meta":{"x":)" + nested_array(100) + "}}", document).empty());
  CHECK(document.meta["x"].is_array());
}

TEST_CASE("json input: a NUL byte is refused, not taken for the end of the text") {
  // nlohmann stops at a NUL: what follows it would go unseen.
  auto after_value = read_json(std::string("{\"a\": 1}\0{\"b\": 2}", 17));
  REQUIRE_FALSE(after_value.ok());
  CHECK(after_value.problem->kind == JsonProblemKind::syntax);
  CHECK(after_value.problem->byte == 9);
  CHECK(contains(after_value.problem->description, "NUL byte at byte 9"));
  CHECK_FALSE(read_json(std::string("\"a\0b\"", 5)).ok());
  CHECK(read_json("\"a\\u0000b\"").value == std::string("a\0b", 3));  // escaped, it is fine
}
