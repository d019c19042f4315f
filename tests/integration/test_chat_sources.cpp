// `weir chat --sources`: after the answer, the documents retrieval gave the
// model, for a grounded gateway; nothing for one without collections; the
// --json answer is unchanged (its generation_context already lists them).
#include <doctest/doctest.h>

#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

std::string line(const json& document) { return document.dump() + "\n"; }

struct SourcesFixture {
  FakeUpstream upstream;
  WeirHome home;

  SourcesFixture() {
    REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"}).exit_code == 0);
    REQUIRE(home.run({"collection", "create", "docs"}).exit_code == 0);
    auto corpus =
        line({{"docid", "keys"}, {"text", "API keys should be rotated every ninety days."}, {"__ref", "security.md"}}) +
        line({{"docid", "backups"}, {"text", "Backups of the store run nightly and keys are kept for thirty days."}}) +
        line({{"docid", "colours"}, {"text", "The terminal colours follow NO_COLOR."}});
    auto imported = home.run({"collection", "import", "docs", "-"}, corpus);
    REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
    auto grounded = home.run({"gateway", "create", "grounded", "--provider", "fake", "--model", "m", "--collection", "docs"});
    REQUIRE_MESSAGE(grounded.exit_code == 0, grounded.err);
    auto plain = home.run({"gateway", "create", "plain", "--provider", "fake", "--model", "m"});
    REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  }
};

}  // namespace

TEST_CASE("chat --sources lists the retrieved documents after the answer, best first") {
  SourcesFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Every ninety days.", true));
  auto result = fixture.home.run({"chat", "grounded", "--sources", "how long are keys kept and rotated?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  INFO(result.out);
  // The same documents, scores and order as a search shows (0.518, 0.457).
  CHECK(result.out == "Every ninety days.\nSources:\n  [1] security.md  (docs, score 0.518)\n"
                      "  [2] docs/backups  (docs, score 0.457)\n");
  CHECK(result.out.find("colours") == std::string::npos);
  CHECK(result.out.back() == '\n');
}

TEST_CASE("chat --sources: 'none' when retrieval found nothing; nothing for a gateway without collections or --json") {
  SourcesFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::text_answer("No idea.", true));
  auto nothing = fixture.home.run({"chat", "grounded", "--sources", "zzzz qqqq"});
  REQUIRE_MESSAGE(nothing.exit_code == 0, nothing.err);
  CHECK(nothing.out == "No idea.\nSources: none (no document was retrieved)\n");

  fixture.upstream.enqueue(ScriptedResponse::text_answer("Hello.", true));
  auto plain = fixture.home.run({"chat", "plain", "--sources", "how often are API keys rotated?"});
  REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  CHECK(plain.out == "Hello.\n");

  fixture.upstream.enqueue(ScriptedResponse::text_answer("Every ninety days.", true));
  auto as_json = fixture.home.run({"--json", "chat", "grounded", "--sources", "how often are API keys rotated?"});
  REQUIRE_MESSAGE(as_json.exit_code == 0, as_json.err);
  auto response = json::parse(as_json.out);  // one JSON document, nothing after it
  CHECK(response["generation_context"]["retrieval"]["documents"][0]["docid"] == "keys");

  // Without --sources, nothing is listed.
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Every ninety days.", true));
  auto quiet = fixture.home.run({"chat", "grounded", "how often are API keys rotated?"});
  CHECK(quiet.out == "Every ninety days.\n");
}
