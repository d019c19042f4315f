// The offline extractive provider: which sentences it picks, its sources,
// its plain "nothing found", and how it streams.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/provider/extractive_provider.hpp"

using namespace weir;

TEST_CASE("the extractive answer quotes the best sentences with their sources") {
  Grounding grounding;
  grounding.collections = {"docs"};
  grounding.documents = {
      {"docs", "intro.md#1", "intro.md", "# Intro\nweir is a local gateway. It stores collections in SQLite.", 0.9},
      {"docs", "keys", "", "Keys are rotated every ninety days. Nothing else matters here.", 0.5},
  };
  auto lines = extractive_answer(grounding, "Where are collections stored?");
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "It stores collections in SQLite. [docs/intro.md#1]");

  lines = extractive_answer(grounding, "how often are keys rotated");
  CHECK(lines[0] == "Keys are rotated every ninety days. [docs/keys]");

  lines = extractive_answer(grounding, "penguins\n\n  and  seals");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("Nothing relevant to \"penguins and seals\"", 0) == 0);

  lines = extractive_answer(grounding, "penguins");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("Nothing relevant to \"penguins\" was found in the collection docs", 0) == 0);

  grounding.documents.clear();
  CHECK(extractive_answer(grounding, "anything")[0].rfind("Nothing relevant", 0) == 0);
  grounding.collections.clear();
  CHECK(extractive_answer(grounding, "anything")[0].find("no collections attached") != std::string::npos);
}

TEST_CASE("the extractive provider streams sentence by sentence and rejects other models") {
  ProviderConfig config;
  config.name = "local";
  config.kind = ProviderKind::extractive;
  auto provider = make_provider(config);
  ChatRequest request;
  request.model = "extractive";
  request.messages = json::array({{{"role", "user"}, {"content", "rotated keys"}}});
  Grounding grounding;
  grounding.collections = {"docs"};
  grounding.documents = {{"docs", "keys", "", "Keys are rotated yearly. Keys are long.", 0.5}};
  provider->ground(grounding);
  std::vector<std::string> pieces;
  auto completion = provider->chat(request, [&](const StreamDelta& delta) {
    if (!delta.content.empty()) pieces.push_back(delta.content);
  }, CancelToken());
  CHECK(pieces.size() == 2);
  CHECK(completion.content == "Keys are rotated yearly. [docs/keys]\nKeys are long. [docs/keys]");
  CHECK(completion.finish_reason == "stop");
  request.stream = false;
  int deltas = 0;
  completion = provider->chat(request, [&](const StreamDelta&) { ++deltas; }, CancelToken());
  CHECK(deltas == 1);
  CHECK(completion.content == "Keys are rotated yearly. [docs/keys]\nKeys are long. [docs/keys]");
  request.model = "gpt-4o";
  CHECK_THROWS_AS(provider->chat(request, [](const StreamDelta&) {}, CancelToken()), Error);
}
