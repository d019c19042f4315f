// The terminal's papercuts (issue 19): what a new user following the README
// hit on a fresh home, each run on the built binary.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/store/database.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using json = nlohmann::json;
namespace fs = std::filesystem;
namespace chunk = openai_chunk;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json run_json(const WeirHome& home, const std::vector<std::string>& arguments, const std::string& input = "") {
  auto with_json = arguments;
  with_json.insert(with_json.begin(), "--json");
  auto result = home.run(with_json, input);
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return json::parse(result.out);
}

std::vector<std::string> docids(const json& search) {
  std::vector<std::string> ids;
  for (const auto& result : search["results"]) ids.push_back(result["docid"]);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_CASE("an option that takes values takes one per occurrence, whatever follows it") {
  WeirHome home;
  REQUIRE(home.run({"collection", "create", "lic"}).exit_code == 0);
  std::string jsonl = R"({"docid": "warranty", "text": "There is no warranty for the program.", "__tags": ["legal"]})"
                      "\n"
                      R"({"docid": "copying", "text": "Copying and distribution are permitted.", "__tags": ["legal"]})"
                      "\n";
  REQUIRE(home.run({"collection", "import", "lic", "-"}, jsonl).exit_code == 0);
  // `--tag legal` between two terms: "distribution" is a term, not a second tag.
  auto found = run_json(home, {"collection", "search", "lic", "warranty", "--tag", "legal", "distribution"});
  CHECK(docids(found) == std::vector<std::string>{"copying", "warranty"});
  auto before = run_json(home, {"collection", "search", "--tag", "legal", "lic", "warranty"});
  CHECK(docids(before) == std::vector<std::string>{"warranty"});

  // The README's chat line: two -o, then the message.
  FakeUpstream upstream;
  REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url()}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "reviewer", "--provider", "fake", "--model", "m"}).exit_code == 0);
  upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("ok"), chunk::finish("stop"), chunk::kDone}));
  auto chat = home.run({"chat", "reviewer", "-o", "temperature=0", "-o", R"(stop=["\n\n"])", "one paragraph only"});
  REQUIRE_MESSAGE(chat.exit_code == 0, chat.err);
  auto body = upstream.requests().back().json_body;
  CHECK(body["messages"].back()["content"] == "one paragraph only");
  CHECK(body["temperature"] == 0);
  CHECK(body["stop"] == json::array({"\n\n"}));
}

TEST_CASE("an unknown command names the word and the nearest command; bare weir prints a short usage") {
  WeirHome home;
  auto unknown = home.run({"foo"});
  CHECK(unknown.exit_code == 2);
  CHECK_MESSAGE(contains(unknown.err, "unknown command 'foo'"), unknown.err);

  auto typo = home.run({"collection", "serch", "x", "y"});
  CHECK(typo.exit_code == 2);
  CHECK_MESSAGE(contains(typo.err, "unknown command 'serch' for `weir collection`; did you mean `weir collection search`?"),
                typo.err);
  auto group_typo = home.run({"colection", "list"});
  CHECK_MESSAGE(contains(group_typo.err, "did you mean `weir collection`?"), group_typo.err);

  auto bare = home.run({});
  CHECK(bare.exit_code == 2);
  CHECK_MESSAGE(contains(bare.err, "usage: weir"), bare.err);
  CHECK(contains(bare.err, "  collection"));
  CHECK(!contains(bare.err, "__complete"));  // hidden commands stay hidden
  CHECK(!contains(bare.err, "A subcommand is required"));
  auto bare_group = home.run({"collection"});
  CHECK(bare_group.exit_code == 2);
  CHECK_MESSAGE(contains(bare_group.err, "usage: weir collection COMMAND"), bare_group.err);

  // Option values are not command words: `logs --limit 3` still lists.
  CHECK(home.run({"logs", "--limit", "3"}).exit_code == 0);
  CHECK(home.run({"--json", "--quiet", "gateway", "list"}).exit_code == 0);
}

TEST_CASE("with --json an error is a JSON object on stderr with its kind and exit code") {
  WeirHome home;
  auto missing = home.run({"--json", "gateway", "show", "nope"});
  CHECK(missing.exit_code == 3);
  auto error = json::parse(missing.err)["error"];
  CHECK(error["kind"] == "not_found");
  CHECK(error["exit_code"] == 3);
  CHECK(contains(error["message"].get<std::string>(), "no gateway 'nope'"));

  auto parse_error = home.run({"gateway", "list", "--json", "--no-such-flag"});
  CHECK(parse_error.exit_code == 2);
  CHECK(json::parse(parse_error.err)["error"]["kind"] == "usage");

  auto bare = home.run({"--json"});
  CHECK(bare.exit_code == 2);
  CHECK(json::parse(bare.err)["error"]["kind"] == "usage");
  auto unknown = home.run({"--json", "foo"});
  CHECK(json::parse(unknown.err)["error"]["message"].get<std::string>().find("unknown command 'foo'") == 0);

  auto plain = home.run({"gateway", "show", "nope"});
  CHECK(contains(plain.err, "weir: error: no gateway 'nope'"));
}

TEST_CASE("collection add: a file is the same documents however its path was typed and wherever weir ran") {
  WeirHome home;
  auto project = fs::canonical(home.path()).string() + "/project";
  fs::create_directories(project + "/docs");
  std::ofstream(project + "/docs/rotation.md") << "# Keys\n\nKeys are rotated every ninety days.\n";
  std::ofstream(project + "/docs/backups.md") << "# Backups\n\nBackups run nightly at two.\n";
  REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);

  home.working_directory = project;
  auto relative = run_json(home, {"collection", "add", "kb", "docs"});
  CHECK(relative["added"] == 2);
  home.working_directory = home.path();
  auto absolute = run_json(home, {"collection", "add", "kb", project + "/docs"});
  CHECK(absolute["files_unchanged"] == 2);
  CHECK(absolute["added"] == 0);
  home.working_directory = project + "/docs";
  auto here = run_json(home, {"collection", "add", "kb", "."});
  CHECK(here["files_unchanged"] == 2);
  CHECK(here["files_removed"] == 0);
  CHECK(here["deleted"] == 0);
  auto dotted = run_json(home, {"collection", "add", "kb", "../docs/./rotation.md"});
  CHECK(dotted["files_unchanged"] == 1);
  CHECK(run_json(home, {"collection", "show", "kb"})["documents"] == 2);

  auto found = run_json(home, {"collection", "search", "kb", "rotated"});
  REQUIRE(!found["results"].empty());
  CHECK(found["results"][0]["docid"] == project + "/docs/rotation.md#0");
  CHECK(found["results"][0]["ref"] == project + "/docs/rotation.md");
  auto shown = home.run({"collection", "search", "kb", "rotated"});
  CHECK_MESSAGE(contains(shown.out, "kb:" + project + "/docs/rotation.md#0"), shown.out);
  CHECK(!contains(shown.out, "//"));

  // Citations of the offline model name the document without "kb//...".
  REQUIRE(home.run({"provider", "add", "local", "--kind", "extractive"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "helper", "--provider", "local", "--model", "extractive", "--collection", "kb"})
              .exit_code == 0);
  auto answer = home.run({"chat", "helper", "how often are keys rotated?"});
  REQUIRE_MESSAGE(answer.exit_code == 0, answer.err);
  CHECK_MESSAGE(contains(answer.out, "[kb:" + project + "/docs/rotation.md#0]"), answer.out);
  CHECK(!contains(answer.out, "//"));
}

TEST_CASE("collection add: documents a store keyed by the typed path are renamed in place when it comes again") {
  WeirHome home;
  auto project = fs::canonical(home.path()).string() + "/project";
  fs::create_directories(project + "/docs");
  std::ofstream(project + "/docs/rotation.md") << "# Keys\n\nKeys are rotated every ninety days.\n";
  REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);
  home.working_directory = project;
  REQUIRE(run_json(home, {"collection", "add", "kb", "docs"})["added"] == 1);
  {  // What a store from before canonical paths holds: the path as typed.
    weir::Database database(home.path() + "/weir.db");
    database.execute("UPDATE documents SET docid = 'docs/rotation.md#0', ref = 'docs/rotation.md'");
    database.execute("UPDATE sources SET path = 'docs/rotation.md'");
  }
  auto again = run_json(home, {"collection", "add", "kb", "docs"});
  CHECK(again["files_unchanged"] == 1);  // renamed, not chunked or embedded again
  CHECK(again["added"] == 0);
  CHECK(again["updated"] == 0);
  auto documents = run_json(home, {"doc", "list", "kb"});
  REQUIRE(documents.size() == 1);
  CHECK(documents[0]["docid"] == project + "/docs/rotation.md#0");
  CHECK(documents[0]["ref"] == project + "/docs/rotation.md");
  CHECK(run_json(home, {"collection", "check", "kb"})["consistent"] == true);
}

TEST_CASE("collection add: --tag reaches unchanged files, left-out files are named, long refs are kept visibly") {
  WeirHome home;
  auto root = fs::canonical(home.path()).string() + "/licenses";
  auto deep = root + "/a-directory-with-a-long-name/and-another-one-below-it";
  fs::create_directories(deep);
  std::ofstream(root + "/GPL-3") << "This program comes with absolutely no warranty.\n";
  std::ofstream(root + "/notes.txt") << "Notes about the licences we use.\n";
  std::ofstream(deep + "/the-file-itself.md") << "A deeply filed note on warranty.\n";
  REQUIRE(home.run({"collection", "create", "lic"}).exit_code == 0);

  auto first = home.run({"--json", "collection", "add", "lic", root});
  REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  auto report = json::parse(first.out);
  CHECK(report["files"] == 2);
  CHECK(report["not_included"] == json::array({root + "/GPL-3"}));
  CHECK_MESSAGE(contains(first.err, "left out 1 file(s)"), first.err);
  CHECK(contains(first.err, "--include '*'"));

  auto long_file = run_json(home, {"doc", "get", "lic", deep + "/the-file-itself.md#0"});
  auto ref = long_file["ref"].get<std::string>();
  CHECK(ref.rfind("…/", 0) == 0);  // shortened, and it shows
  CHECK(ref.size() - std::string("…").size() <= 64);
  CHECK(ref.find("/and-another-one-below-it/the-file-itself.md") != std::string::npos);

  auto tagged = run_json(home, {"collection", "add", "lic", root, "--tag", "legal"});
  CHECK(tagged["files_unchanged"] == 2);
  CHECK(tagged["meta_only"] == 2);
  auto legal = run_json(home, {"collection", "search", "lic", "warranty", "--tag", "legal"});
  CHECK(legal["results"].size() == 1);

  auto everything = run_json(home, {"collection", "add", "lic", root, "--include", "*", "--tag", "legal"});
  CHECK(everything["files"] == 1);  // GPL-3 now
  CHECK(everything["not_included"].empty());
  CHECK(run_json(home, {"collection", "search", "lic", "warranty", "--tag", "legal"})["results"].size() == 2);
}

TEST_CASE("smaller papercuts: unset fields say what they mean, numbers read as typed, presets show their kind") {
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "local", "--kind", "extractive"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "local", "--model", "extractive"}).exit_code == 0);
  auto shown = home.run({"gateway", "show", "g"});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  CHECK(contains(shown.out, "temperature: (upstream default)\n"));  // not sent: the upstream decides
  CHECK(contains(shown.out, "budget: (none)\n"));
  CHECK(contains(shown.out, "limits: (none)\n"));
  CHECK(contains(shown.out, "max_context_tokens: (no limit)\n"));
  CHECK(!contains(shown.out, "budget: (upstream default)"));

  REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);
  auto bad_score = home.run({"collection", "search", "kb", "x", "--min-score", "2"});
  CHECK(bad_score.exit_code == 2);
  CHECK_MESSAGE(contains(bad_score.err, "got 2\n"), bad_score.err);
  auto none = home.run({"collection", "search", "kb", "x"});
  CHECK_MESSAGE(contains(none.err, "no results at or above --min-score 0.2\n"), none.err);

  auto ollama = home.run({"provider", "add", "ollama"});
  REQUIRE_MESSAGE(ollama.exit_code == 0, ollama.err);
  CHECK(run_json(home, {"provider", "show", "ollama"})["kind"] == "ollama");
}
