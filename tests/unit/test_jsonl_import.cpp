// JSONL import: what one line may hold (parse_document_line), and how a
// stream of lines is read (import_jsonl): line numbers in every rejection,
// blank lines skipped, CRLF endings, the all-or-nothing strict mode.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/rag/jsonl_import.hpp"
#include "core/rag/local_embedder.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/document_repository.hpp"

using namespace weir;
using json = nlohmann::json;

namespace {

// The reason `line` is rejected, or "" when it parses (into `document`).
std::string problem_of(const std::string& line, Document& document) { return parse_document_line(line, document); }
std::string problem_of(const std::string& line) {
  Document document;
  return parse_document_line(line, document);
}
std::string problem_of_object(const json& object) { return problem_of(object.dump()); }

struct ImportStore {
  std::filesystem::path directory;
  std::unique_ptr<Database> database;
  Collection collection;
  LocalEmbedder embedder{64};

  ImportStore() {
    directory = std::filesystem::temp_directory_path() / ("weir-jsonl-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    database = std::make_unique<Database>((directory / "weir.db").string());
    collection = CollectionRepository(*database).create("kb", "local", 64, "");
  }
  ~ImportStore() {
    database.reset();
    std::filesystem::remove_all(directory);
  }

  ImportReport import(const std::string& text, bool strict = false) {
    std::istringstream input(text);
    ImportOptions options;
    options.strict = strict;
    return import_jsonl(*database, collection, embedder, input, options, CancelToken());
  }

  bool holds(const std::string& docid) { return DocumentRepository(*database).find(collection, docid).has_value(); }
};

}  // namespace

TEST_CASE("jsonl line: a valid line fills every field") {
  Document document;
  auto line = json{{"docid", "a-1"},
                   {"text", "Keys rotate every ninety days."},
                   {"__ref", "handbook.md"},
                   {"__tags", {"security", "ops"}},
                   {"__meta", {{"page", 4}}}}
                  .dump();
  REQUIRE(problem_of(line, document) == "");
  CHECK(document.docid == "a-1");
  CHECK(document.text == "Keys rotate every ninety days.");
  REQUIRE(document.ref);
  CHECK(*document.ref == "handbook.md");
  CHECK(document.tags == json{"security", "ops"});
  CHECK(document.meta == json{{"page", 4}});
}

TEST_CASE("jsonl line: optional fields may be absent or null; an integer docid is taken as text") {
  Document document;
  REQUIRE(problem_of(R"({"docid":"d","text":"t"})", document) == "");
  CHECK_FALSE(document.ref);
  CHECK(document.tags == json::array());
  CHECK(document.meta == json::object());
  REQUIRE(problem_of(R"({"text":"t","docid":"d","__ref":null,"__tags":null,"__meta":null})", document) == "");
  CHECK_FALSE(document.ref);
  CHECK(document.tags == json::array());
  CHECK(document.meta == json::object());
  REQUIRE(problem_of(R"({"docid":42,"text":"t"})", document) == "");
  CHECK(document.docid == "42");
}

TEST_CASE("jsonl line: a parsed line replaces whatever the document held before") {
  Document document;
  REQUIRE(problem_of(R"({"docid":"first","text":"one","__ref":"r","__tags":["x"],"__meta":{"k":1}})", document) == "");
  REQUIRE(problem_of(R"({"docid":"second","text":"two"})", document) == "");
  CHECK(document.docid == "second");
  CHECK_FALSE(document.ref);
  CHECK(document.tags == json::array());
  CHECK(document.meta == json::object());
}

TEST_CASE("jsonl line: each rejected shape says why") {
  // Not an object.
  CHECK(problem_of("[1,2]") == "not a JSON object");
  CHECK(problem_of("\"just text\"") == "not a JSON object");
  CHECK(problem_of("42") == "not a JSON object");
  CHECK(problem_of("null") == "not a JSON object");
  // Not JSON at all.
  CHECK(problem_of("{docid: 1}").rfind("not valid JSON (syntax error at byte 2", 0) == 0);
  CHECK(problem_of(R"({"docid":"a","text":"b"} trailing)").rfind("not valid JSON (", 0) == 0);
  CHECK(problem_of(R"({"docid":"a","text":"b")").rfind("not valid JSON (", 0) == 0);
  // Missing or empty fields.
  CHECK(problem_of_object(json{{"text", "t"}}) == "missing docid");
  CHECK(problem_of_object(json{{"docid", "d"}}) == "missing text");
  CHECK(problem_of_object(json::object()) == "missing docid");
  CHECK(problem_of_object(json{{"docid", ""}, {"text", "t"}}) == "docid is empty");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", ""}}) == "text is empty");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", " \t\n "}}) == "text is empty");
  // Wrong types.
  CHECK(problem_of_object(json{{"docid", 1.5}, {"text", "t"}}) == "docid must be a string");
  CHECK(problem_of_object(json{{"docid", true}, {"text", "t"}}) == "docid must be a string");
  CHECK(problem_of_object(json{{"docid", nullptr}, {"text", "t"}}) == "docid must be a string");
  CHECK(problem_of_object(json{{"docid", {"a"}}, {"text", "t"}}) == "docid must be a string");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", 7}}) == "text must be a string");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", nullptr}}) == "text must be a string");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__ref", 3}}) == "__ref must be a string");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__ref", {{"a", 1}}}}) == "__ref must be a string");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__tags", "one"}}) == "__tags must be an array of strings");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__tags", {{"k", "v"}}}}) == "__tags must be an array of strings");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__tags", {1, 2}}}) ==
        "__tags must be an array of non-empty strings");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__tags", {"ok", ""}}}) ==
        "__tags must be an array of non-empty strings");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__meta", {1, 2}}}) == "__meta must be an object");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__meta", "page 4"}}) == "__meta must be an object");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__meta", 4}}) == "__meta must be an object");
  // Unknown keys name the key and where other fields belong.
  auto unknown = problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"title", "x"}});
  CHECK(unknown.find("unknown key 'title'") == 0);
  CHECK(unknown.find("put other fields in __meta") != std::string::npos);
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__id", "x"}}).find("unknown key '__id'") == 0);
}

TEST_CASE("jsonl line: docid and __ref limits count characters, not bytes") {
  CHECK(problem_of_object(json{{"docid", std::string(256, 'd')}, {"text", "t"}}) == "");
  CHECK(problem_of_object(json{{"docid", std::string(257, 'd')}, {"text", "t"}}) == "docid is longer than 256 characters");
  std::string accented;
  for (int index = 0; index < 256; ++index) accented += "\xc3\xa9";  // é: two bytes, one character
  CHECK(problem_of_object(json{{"docid", accented}, {"text", "t"}}) == "");
  CHECK(problem_of_object(json{{"docid", accented + "\xc3\xa9"}, {"text", "t"}}) == "docid is longer than 256 characters");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__ref", std::string(64, 'r')}}) == "");
  CHECK(problem_of_object(json{{"docid", "d"}, {"text", "t"}, {"__ref", std::string(65, 'r')}}) ==
        "__ref is longer than 64 characters");
}

TEST_CASE("jsonl line: invalid UTF-8 is named as such") {
  CHECK(problem_of(std::string(R"({"docid":"d","text":"caf)") + "\xe9" + R"("})") .rfind("invalid UTF-8", 0) == 0);
  CHECK(problem_of(std::string(R"({"docid":")") + "\xff\xfe" + R"(","text":"t"})") .rfind("invalid UTF-8", 0) == 0);
  CHECK(problem_of(std::string(R"({"docid":"d","text":"cut )") + "\xe2\x82" + R"("})") .rfind("invalid UTF-8", 0) == 0);
  // Well-formed multi-byte text and escapes are fine.
  Document document;
  REQUIRE(problem_of(R"({"docid":"d","text":"caf\u00e9 \u2603 )" "\xe2\x82\xac" R"("})", document) == "");
  CHECK(document.text == "caf\xc3\xa9 \xe2\x98\x83 \xe2\x82\xac");
}

TEST_CASE("jsonl line: a line over 64 MiB is refused before parsing; a long one below it parses") {
  std::string huge = R"({"docid":"d","text":")" + std::string((size_t{64} << 20), 'x') + R"("})";
  CHECK(problem_of(huge) == "line longer than 64 MiB");
  // (Parsing a line of nearly 64 MiB takes seconds; a few MiB shows that
  // length alone is no reason to refuse.)
  std::string long_line = R"({"docid":"d","text":")" + std::string(size_t{4} << 20, 'x') + R"("})";
  Document document;
  CHECK(problem_of(long_line, document) == "");
  CHECK(document.text.size() == size_t{4} << 20);
}

TEST_CASE("jsonl import: blank lines are skipped, CRLF endings accepted, rejections carry their line numbers") {
  ImportStore store;
  std::string input = json{{"docid", "one"}, {"text", "First document."}}.dump() + "\r\n" +  // line 1
                      "\r\n" +                                                               // 2: blank
                      "   \t \n" +                                                           // 3: blank
                      "{not json}\n" +                                                       // 4
                      json{{"docid", "two"}, {"text", "Second document."}}.dump() + "\n" +  // 5
                      json{{"docid", "three"}}.dump() + "\r\n" +                             // 6
                      json{{"docid", "four"}, {"text", "Fourth."}, {"extra", 1}}.dump() +    // 7
                      "\n" + json{{"docid", "five"}, {"text", "Fifth, no newline at the end."}}.dump();  // 8
  auto report = store.import(input);
  CHECK(report.counts.added == 3);
  CHECK(report.rejected == 3);
  REQUIRE(report.errors.size() == 3);
  CHECK(report.errors[0].line == 4);
  CHECK(report.errors[0].reason.rfind("not valid JSON", 0) == 0);
  CHECK(report.errors[1].line == 6);
  CHECK(report.errors[1].reason == "missing text");
  CHECK(report.errors[2].line == 7);
  CHECK(report.errors[2].reason.rfind("unknown key 'extra'", 0) == 0);
  CHECK_FALSE(report.rolled_back);
  CHECK(store.holds("one"));
  CHECK(store.holds("two"));
  CHECK(store.holds("five"));
  CHECK_FALSE(store.holds("four"));
  // A CR before the newline is not part of the text.
  CHECK(DocumentRepository(*store.database).find(store.collection, "one")->text == "First document.");

  auto json_report = report.to_json();
  CHECK(json_report["added"] == 3);
  CHECK(json_report["rejected"] == 3);
  CHECK(json_report["errors"][1] == json{{"line", 6}, {"reason", "missing text"}});
}

TEST_CASE("jsonl import: strict is all or nothing") {
  ImportStore store;
  std::string good = json{{"docid", "kept?"}, {"text", "Only if every line is good."}}.dump() + "\n";
  auto rolled_back = store.import(good + "[]\n", /*strict=*/true);
  CHECK(rolled_back.rolled_back);
  CHECK(rolled_back.rejected == 1);
  REQUIRE(rolled_back.errors.size() == 1);
  CHECK(rolled_back.errors[0].line == 2);
  CHECK(rolled_back.counts.added == 0);
  CHECK_FALSE(store.holds("kept?"));

  auto committed = store.import(good + "\n", /*strict=*/true);
  CHECK_FALSE(committed.rolled_back);
  CHECK(committed.counts.added == 1);
  CHECK(store.holds("kept?"));
}

TEST_CASE("jsonl import: a huge line is rejected alone and the lines around it land") {
  ImportStore store;
  std::string input = json{{"docid", "before"}, {"text", "Before."}}.dump() + "\n" + R"({"docid":"huge","text":")" +
                      std::string((size_t{64} << 20), 'x') + "\"}\n" +
                      json{{"docid", "after"}, {"text", "After."}}.dump() + "\n";
  auto report = store.import(input);
  CHECK(report.counts.added == 2);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].line == 2);
  CHECK(report.errors[0].reason == "line longer than 64 MiB");
  CHECK(store.holds("before"));
  CHECK(store.holds("after"));
  CHECK_FALSE(store.holds("huge"));
}
