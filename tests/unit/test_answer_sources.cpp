// answer_sources (core/engine/answer_sources): which documents `weir chat
// --sources` lists, read from an answer's generation_context.
#include <doctest/doctest.h>

#include "core/engine/answer_sources.hpp"

using nlohmann::json;
using weir::answer_sources;

TEST_CASE("answer sources: each retrieved document once, best score first, named by ref or label") {
  json context = {{"retrieval",
                   {{"strategy", "plain"},
                    {"query", "q"},
                    {"documents", json::array({
                                      {{"collection", "docs"}, {"docid", "a"}, {"ref", nullptr}, {"score", 0.4}},
                                      {{"collection", "docs"}, {"docid", "/abs/b.md#0"}, {"ref", "b.md"}, {"score", 0.9}},
                                      {{"collection", "docs"}, {"docid", "a"}, {"ref", nullptr}, {"score", 0.7},
                                       {"reference_of", "x"}},
                                      {{"collection", "faq"}, {"docid", "/abs/c#1"}, {"ref", ""}, {"score", 0.5}},
                                  })}}}};
  auto sources = answer_sources(context);
  REQUIRE(sources);
  REQUIRE(sources->size() == 3);
  CHECK((*sources)[0].title == "b.md");
  CHECK((*sources)[0].score == 0.9);
  CHECK((*sources)[1].title == "docs/a");
  CHECK((*sources)[1].score == 0.7);
  CHECK((*sources)[2].title == "faq:/abs/c#1");
  CHECK((*sources)[2].collection == "faq");
  CHECK((*sources)[2].docid == "/abs/c#1");
}

TEST_CASE("answer sources: none without a retrieval stage, an empty list when it found nothing") {
  CHECK_FALSE(answer_sources(json::object()));
  CHECK_FALSE(answer_sources(json(nullptr)));
  CHECK_FALSE(answer_sources({{"cache", {{"status", "hit"}}}}));
  auto empty = answer_sources({{"retrieval", {{"strategy", "query_function"}, {"documents", json::array()}}}});
  REQUIRE(empty);
  CHECK(empty->empty());
  auto malformed = answer_sources({{"retrieval", {{"strategy", "plain"}, {"documents", "x"}}}});
  REQUIRE(malformed);
  CHECK(malformed->empty());
}
