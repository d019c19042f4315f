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

// Manual pages and licences are hard-wrapped and full of options: an answer
// quotes them as written, whole sentences, not line fragments.
TEST_CASE("the extractive answer keeps leading dashes and rejoins hard-wrapped lines") {
  Grounding grounding;
  grounding.collections = {"man"};
  grounding.documents = {
      {"man", "cp.1#0", "cp.1",
       "OPTIONS\n"
       "       -P     Never follow symbolic links in SOURCE, whatever the\n"
       "              other options say.\n"
       "       -R     Copy directories recursively.\n"
       "\n"
       "This program is distributed in the hope that it will be useful, but\n"
       "without any warranty; without even the implied warranty of merchantability\n"
       "or fitness for a particular purpose.\n"
       "- a bullet about symbolic links stays a bullet.\n",
       0.9},
  };
  auto lines = extractive_answer(grounding, "never follow symbolic links");
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "-P     Never follow symbolic links in SOURCE, whatever the other options say. [man/cp.1#0]");

  lines = extractive_answer(grounding, "implied warranty of merchantability");
  REQUIRE(!lines.empty());
  CHECK(lines[0] ==
        "This program is distributed in the hope that it will be useful, but without any warranty; without even the "
        "implied warranty of merchantability or fitness for a particular purpose. [man/cp.1#0]");

  lines = extractive_answer(grounding, "bullet");
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "a bullet about symbolic links stays a bullet. [man/cp.1#0]");  // "- " is markup, "-P" is text
}
