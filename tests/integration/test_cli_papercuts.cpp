// The terminal's papercuts (issue 19): what a new user following the README
// hit on a fresh home, each run on the built binary.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

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

  auto plain = home.run({"gateway", "show", "nope"});
  CHECK(contains(plain.err, "weir: error: no gateway 'nope'"));
}
