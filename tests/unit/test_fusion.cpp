// Fusion of lexical and dense candidates, and the lexical query text handling
// it shares with the FTS5 side (fts_match_expression).
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rag/fusion.hpp"
#include "core/rag/lexical_query.hpp"

using namespace weir;

namespace {

// An in-memory FTS5 table with the product's tokenizer, to prove that an
// expression is accepted and to see what it matches.
class FullText {
 public:
  FullText() {
    REQUIRE(sqlite3_open(":memory:", &database_) == SQLITE_OK);
    std::string create = "CREATE VIRTUAL TABLE documents USING fts5(text, tokenize='" +
                         std::string(kFullTextTokenizer) + "')";
    REQUIRE(sqlite3_exec(database_, create.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~FullText() { sqlite3_close(database_); }
  FullText(const FullText&) = delete;
  FullText& operator=(const FullText&) = delete;

  void add(int64_t id, const std::string& text) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(database_, "INSERT INTO documents(rowid, text) VALUES (?, ?)", -1, &statement,
                               nullptr) == SQLITE_OK);
    sqlite3_bind_int64(statement, 1, id);
    sqlite3_bind_text(statement, 2, text.c_str(), -1, SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(statement) == SQLITE_DONE);
    sqlite3_finalize(statement);
  }

  // Row ids matching `expression`, best first; throws on an FTS5 syntax error.
  std::vector<int64_t> match(const std::string& expression) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(database_,
                               "SELECT rowid FROM documents WHERE documents MATCH ? ORDER BY bm25(documents)", -1,
                               &statement, nullptr) == SQLITE_OK);
    sqlite3_bind_text(statement, 1, expression.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<int64_t> rows;
    int status = 0;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW) rows.push_back(sqlite3_column_int64(statement, 0));
    std::string message = sqlite3_errmsg(database_);
    sqlite3_finalize(statement);
    if (status != SQLITE_DONE) throw std::runtime_error("FTS5 rejected " + expression + ": " + message);
    return rows;
  }

 private:
  sqlite3* database_ = nullptr;
};

std::vector<int64_t> documents_of(const std::vector<FusedHit>& hits) {
  std::vector<int64_t> documents;
  for (const auto& hit : hits) documents.push_back(hit.document);
  return documents;
}

double score_of(const std::vector<FusedHit>& hits, int64_t document) {
  for (const auto& hit : hits)
    if (hit.document == document) return hit.score;
  FAIL("document " << document << " missing from the fused list");
  return -1;
}

const Reranker kAllRerankers[] = {Reranker::none, Reranker::rrf, Reranker::lexical};

}  // namespace

// --- fts_match_expression ---------------------------------------------------

TEST_CASE("fts_match_expression quotes every word and OR-joins them") {
  CHECK(fts_match_expression("Diffusion tensor imaging") == R"("diffusion" OR "tensor" OR "imaging")");
  CHECK(fts_match_expression("the role of p53 in the cell") == R"("role" OR "p53" OR "cell")");
  CHECK(fts_match_expression("cell CELL Cell") == R"("cell")");
  // Only function words: keep them rather than search for nothing.
  CHECK(fts_match_expression("The Who") == R"("the" OR "who")");
}

TEST_CASE("fts_match_expression returns nothing for text without words") {
  CHECK(fts_match_expression("").empty());
  CHECK(fts_match_expression("   \t\n").empty());
  CHECK(fts_match_expression("\"\"() * ^ : - + {} []").empty());
  CHECK(fts_match_expression("\xff\xfe\xc3").empty());  // invalid UTF-8 alone
}

TEST_CASE("fts_match_expression neutralises FTS5 syntax") {
  FullText table;
  table.add(1, "Tumour NEAR the AND gate: OR logic in cells");
  table.add(2, "A column named text: with colons and carets ^ and stars *");
  table.add(3, "Résumé of the naïve approach — “quoted” words");
  table.add(4, "NOT a negation: gene expression of p53");
  const std::vector<std::string> hostile = {
      "\"unterminated",
      "a\"b",
      "(unbalanced",
      "closing)",
      "AND",
      "OR OR OR",
      "NOT",
      "NEAR(a b, 3)",
      "near/3",
      "prefix*",
      "*",
      "^start",
      "text:column",
      "documents:tumour",
      "-excluded +required",
      "{text}: tumour",
      "a AND (b OR NOT c)",
      "emoji 🧬 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
      std::string("nul\0byte", 8),
      "\xe2\x80",
      "über naïve résumé",
      "“curly quotes” and ‘single’ — dashes",
      std::string(5000, 'a') + " long",
  };
  for (const auto& query : hostile) {
    CAPTURE(query);
    std::string expression = fts_match_expression(query);
    if (expression.empty()) continue;
    CHECK_NOTHROW(table.match(expression));
  }
  // Syntax words are matched literally, as words.
  CHECK(table.match(fts_match_expression("NEAR")) == std::vector<int64_t>{1});
  CHECK(table.match(fts_match_expression("text:")) == std::vector<int64_t>{2});
  // Diacritics and typographic punctuation behave as FTS5's tokenizer does.
  CHECK(table.match(fts_match_expression("resume")) == std::vector<int64_t>{3});
  CHECK(table.match(fts_match_expression("“quoted”")) == std::vector<int64_t>{3});
  // Porter stemming applies to the quoted terms.
  CHECK(table.match(fts_match_expression("cell")) == std::vector<int64_t>{1});
}

TEST_CASE("fts_match_expression output is always valid FTS5, whatever the bytes") {
  FullText table;
  table.add(1, "some text");
  std::mt19937 random(11);
  const std::string alphabet = "aZ09 \"'()*^:+-{},.NEARORANDNOT\t\n\\\x01\x7f\x80\xbf\xc3\xa9\xe2\x80\x9c\xf0\x9f\xa7\xac\xff";
  for (int round = 0; round < 2000; ++round) {
    std::string query;
    const auto length = random() % 40;
    for (std::size_t index = 0; index < length; ++index) query.push_back(alphabet[random() % alphabet.size()]);
    CAPTURE(query);
    std::string expression = fts_match_expression(query);
    if (!expression.empty()) CHECK_NOTHROW(table.match(expression));
  }
}

TEST_CASE("fts_match_expression bounds the number of terms") {
  std::string query;
  for (int index = 0; index < 500; ++index) query += "term" + std::to_string(index) + " ";
  std::string expression = fts_match_expression(query);
  CHECK(static_cast<std::size_t>(std::count(expression.begin(), expression.end(), '"')) == 2 * kMaxQueryTerms);
}

TEST_CASE("words split like FTS5's unicode61 tokenizer") {
  CHECK(split_words("Covid-19 (SARS-CoV-2)") == std::vector<std::string>{"covid", "19", "sars", "cov", "2"});
  CHECK(split_words("“quoted”—dash…") == std::vector<std::string>{"quoted", "dash"});
  CHECK(split_words("Élan µm ½") == std::vector<std::string>{"élan", "µm", "½"});
  CHECK(split_words("naïve\xffword") == std::vector<std::string>{"naïve", "word"});
  CHECK(is_stopword("the"));
  CHECK(is_stopword("yourselves"));
  CHECK_FALSE(is_stopword("near"));
  CHECK_FALSE(is_stopword("cell"));
  CHECK_FALSE(is_stopword(""));
  std::string storage;
  CHECK(light_stem("cells", storage) == "cell");
  CHECK(light_stem("studies", storage) == "study");
  CHECK(light_stem("analysis", storage) == "analysis");
  CHECK(light_stem("gas", storage) == "gas");
}

// --- fuse -------------------------------------------------------------------

TEST_CASE("parse_reranker accepts the three names and rejects others") {
  for (auto reranker : kAllRerankers) CHECK(parse_reranker(to_string(reranker)) == reranker);
  try {
    parse_reranker("bm25");
    FAIL("expected a usage error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()).find("none, rrf and lexical") != std::string::npos);
  }
}

TEST_CASE("every candidate appears once with a score in [0, 1], best first") {
  std::mt19937 random(7);
  std::uniform_real_distribution<double> bm25(0.01, 40);
  std::uniform_real_distribution<double> cosine(-1, 1);
  std::uniform_int_distribution<int64_t> document(1, 60);
  std::vector<std::string> storage;
  for (int round = 0; round < 200; ++round) {
    FusionInput input;
    input.query = "white matter diffusion";
    int lexical_count = static_cast<int>(random() % 40);
    int dense_count = static_cast<int>(random() % 40);
    for (int index = 0; index < lexical_count; ++index) input.lexical.push_back({document(random), bm25(random)});
    for (int index = 0; index < dense_count; ++index) input.dense.push_back({document(random), cosine(random)});
    std::sort(input.lexical.begin(), input.lexical.end(), [](auto& left, auto& right) { return left.bm25 > right.bm25; });
    std::sort(input.dense.begin(), input.dense.end(), [](auto& left, auto& right) { return left.similarity > right.similarity; });
    std::vector<std::pair<int64_t, std::string_view>> texts;
    for (int64_t id = 1; id <= 60; id += 2) texts.emplace_back(id, "white matter of the brain, diffusion measured");
    input.texts = &texts;
    std::set<int64_t> expected;
    for (const auto& hit : input.lexical) expected.insert(hit.document);
    for (const auto& hit : input.dense) expected.insert(hit.document);
    for (auto reranker : kAllRerankers) {
      CAPTURE(to_string(reranker));
      auto hits = fuse(input, reranker);
      auto documents = documents_of(hits);
      CHECK(documents.size() == expected.size());
      CHECK(std::set<int64_t>(documents.begin(), documents.end()) == expected);
      for (std::size_t index = 0; index < hits.size(); ++index) {
        CHECK(hits[index].score >= 0.0);
        CHECK(hits[index].score <= 1.0);
        if (index > 0) CHECK(hits[index - 1].score >= hits[index].score);
      }
    }
  }
}

TEST_CASE("fusing nothing gives nothing") {
  FusionInput input;
  input.query = "anything";
  for (auto reranker : kAllRerankers) CHECK(fuse(input, reranker).empty());
}

TEST_CASE("a document found by both retrievers beats one found by one, all else equal") {
  FusionInput input;
  input.query = "query";
  // 10 and 20 hold the same lexical place relation (tied BM25); only 10 is
  // also found densely.
  input.lexical = {{20, 5.0}, {10, 5.0}, {30, 4.0}};
  input.dense = {{10, 0.5}, {40, 0.4}};
  for (auto reranker : kAllRerankers) {
    CAPTURE(to_string(reranker));
    auto hits = fuse(input, reranker);
    CHECK(score_of(hits, 10) > score_of(hits, 20));
  }
  // And symmetrically for the dense side.
  input.lexical = {{10, 5.0}, {30, 4.0}};
  input.dense = {{10, 0.5}, {20, 0.5}};
  for (auto reranker : kAllRerankers) {
    CAPTURE(to_string(reranker));
    auto hits = fuse(input, reranker);
    CHECK(score_of(hits, 10) > score_of(hits, 20));
  }
}

TEST_CASE("none: the documented normalised-score combination") {
  FusionInput input;
  input.query = "query";
  input.lexical = {{1, 10.0}, {2, 5.0}, {3, 2.0}};
  input.dense = {{4, 0.8}, {1, 0.4}, {5, -0.3}};
  auto hits = fuse(input, Reranker::none);
  CHECK(score_of(hits, 1) == doctest::Approx(0.75 * 1.0 + 0.25 * 0.4));
  CHECK(score_of(hits, 2) == doctest::Approx(0.75 * 0.5));
  CHECK(score_of(hits, 3) == doctest::Approx(0.75 * 0.2));
  CHECK(score_of(hits, 4) == doctest::Approx(0.25 * 0.8));
  CHECK(score_of(hits, 5) == doctest::Approx(0.0));
  CHECK(documents_of(hits) == std::vector<int64_t>{1, 2, 4, 3, 5});
  // The best lexical match alone scores 0.75; a third of its BM25 passes 0.2.
  CHECK(score_of(hits, 2) >= 0.2);
}

TEST_CASE("a retriever that returned nothing hands its weight to the other") {
  FusionInput lexical_only;
  lexical_only.query = "query";
  lexical_only.lexical = {{1, 8.0}, {2, 4.0}};
  FusionInput dense_only;
  dense_only.query = "query";
  dense_only.dense = {{1, 0.6}, {2, 0.3}};
  for (auto reranker : {Reranker::none, Reranker::rrf}) {
    CAPTURE(to_string(reranker));
    CHECK(fuse(lexical_only, reranker).front().score == doctest::Approx(1.0));
    CHECK(documents_of(fuse(lexical_only, reranker)) == std::vector<int64_t>{1, 2});
    CHECK(documents_of(fuse(dense_only, reranker)) == std::vector<int64_t>{1, 2});
  }
  CHECK(fuse(dense_only, Reranker::none).front().score == doctest::Approx(0.6));
  CHECK(fuse(dense_only, Reranker::rrf).front().score == doctest::Approx(1.0));
}

TEST_CASE("rrf: orders by weighted reciprocal rank, ignoring score magnitudes") {
  FusionInput input;
  input.query = "query";
  input.lexical = {{1, 100.0}, {2, 1.0}, {3, 0.5}};
  input.dense = {{3, 0.9}, {2, 0.1}};
  auto hits = fuse(input, Reranker::rrf);
  FusionTuning tuning;
  const double k = tuning.rank_constant;
  const double lexical = tuning.lexical_rank_weight / (tuning.lexical_rank_weight + tuning.dense_rank_weight);
  const double dense = 1 - lexical;
  CHECK(score_of(hits, 1) == doctest::Approx(lexical));
  CHECK(score_of(hits, 2) == doctest::Approx(lexical * (k + 1) / (k + 2) + dense * (k + 1) / (k + 2)));
  CHECK(score_of(hits, 3) == doctest::Approx(lexical * (k + 1) / (k + 3) + dense));
  // First in both lists is exactly 1.
  input.dense = {{1, 0.2}};
  CHECK(fuse(input, Reranker::rrf).front().score == doctest::Approx(1.0));
  // A huge BM25 gap does not matter, only places do.
  input.lexical = {{1, 1000.0}, {2, 0.001}};
  input.dense = {};
  auto close = fuse(input, Reranker::rrf);
  CHECK(score_of(close, 2) == doctest::Approx((k + 1) / (k + 2)));
}

TEST_CASE("rrf and none break ties deterministically") {
  FusionInput input;
  input.query = "query";
  input.lexical = {{9, 3.0}, {7, 3.0}};
  input.dense = {{5, 0.0}, {6, 0.0}};
  auto first = documents_of(fuse(input, Reranker::none));
  CHECK(first == documents_of(fuse(input, Reranker::none)));
  CHECK(first.front() == 9);  // equal scores: the better lexical place first
}

TEST_CASE("lexical: boosts exact term coverage, titles and proximity") {
  const std::vector<std::pair<int64_t, std::string_view>> texts = {
      {1, "Unrelated heading\nSome words about tumour growth, later mentions of suppressor and the p53 gene far "
          "apart in a long sentence that goes on and on"},
      {2, "p53 tumour suppressor gene\nThe p53 tumour suppressor gene is mutated in many cancers."},
      {3, "Protein folding\nChaperones assist folding of proteins in the cytoplasm."},
  };
  FusionInput input;
  input.query = "p53 tumour suppressor gene";
  // Lexical retriever (and dense) prefer 1 and 3, and 2 trails: the lexical
  // reranker must lift the text that holds every term, together, in its title.
  input.lexical = {{1, 9.0}, {2, 8.5}, {3, 8.4}};
  input.dense = {{3, 0.5}, {1, 0.45}, {2, 0.4}};
  input.texts = &texts;
  auto plain = fuse(input, Reranker::none);
  auto boosted = fuse(input, Reranker::lexical);
  CHECK(plain.front().document != 2);
  CHECK(boosted.front().document == 2);
  CHECK(score_of(boosted, 2) > score_of(boosted, 3));
  CHECK(score_of(boosted, 2) >= 0.2);
  // A text that matches no query term gets no boost over its base score.
  CHECK(score_of(boosted, 3) <= score_of(plain, 3));
  // Near-exact forms get partial credit: "inflammatory" for "inflammation".
  const std::vector<std::pair<int64_t, std::string_view>> near_texts = {
      {1, "Other topic\nNothing relevant here at all."},
      {2, "Inflammatory response\nMacrophages drive the inflammatory response."},
  };
  input.query = "inflammation";
  input.texts = &near_texts;
  input.lexical = {{1, 5.0}, {2, 5.0}};
  input.dense = {};
  CHECK(fuse(input, Reranker::lexical).front().document == 2);
  FusionTuning exact_only;
  exact_only.near_match_credit = 0;
  CHECK(fuse(input, Reranker::lexical, exact_only).front().document == 1);
}

TEST_CASE("lexical without texts orders and scores as none") {
  FusionInput input;
  input.query = "query words";
  input.lexical = {{1, 4.0}, {2, 3.0}};
  input.dense = {{2, 0.9}, {3, 0.1}};
  auto none = fuse(input, Reranker::none);
  auto lexical = fuse(input, Reranker::lexical);
  REQUIRE(none.size() == lexical.size());
  for (std::size_t index = 0; index < none.size(); ++index) {
    CHECK(none[index].document == lexical[index].document);
    CHECK(none[index].score == doctest::Approx(lexical[index].score));
  }
}

TEST_CASE("lexical keeps unreranked candidates below the reranked ones") {
  std::vector<std::string> bodies;
  FusionInput input;
  input.query = "alpha beta";
  for (int64_t id = 1; id <= 80; ++id) {
    input.lexical.push_back({id, 100.0 - static_cast<double>(id)});
    bodies.push_back("Title " + std::to_string(id) + "\n" + (id == 70 ? "alpha beta" : "gamma"));
  }
  std::vector<std::pair<int64_t, std::string_view>> texts;
  for (int64_t id = 1; id <= 80; ++id) texts.emplace_back(id, bodies[static_cast<std::size_t>(id - 1)]);
  input.texts = &texts;
  auto hits = fuse(input, Reranker::lexical);
  // Document 70 is past the rerank depth, so its perfect text is not read.
  auto documents = documents_of(hits);
  auto position = std::find(documents.begin(), documents.end(), 70) - documents.begin();
  CHECK(position >= static_cast<std::ptrdiff_t>(kLexicalRerankDepth));
}
