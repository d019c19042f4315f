// The lexical retriever against a real store: BM25 order, the collection and
// tag filters, and the leaving out of common words (with the threshold
// lowered so a handful of documents can show it).
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/rag/lexical_retriever.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/document_repository.hpp"

using namespace weir;

namespace {
struct Store {
  std::filesystem::path directory;
  std::unique_ptr<Database> database;
  Collection collection;
  Collection other;
  std::vector<std::string> docids_by_id;  // index = documents.id

  Store() {
    directory = std::filesystem::temp_directory_path() / ("weir-lexical-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    database = std::make_unique<Database>((directory / "weir.db").string());
    collection = CollectionRepository(*database).create("notes", "local", 2, "");
    other = CollectionRepository(*database).create("other", "local", 2, "");
  }
  ~Store() { std::filesystem::remove_all(directory); }

  void add(const Collection& target, const std::string& docid, const std::string& text,
           nlohmann::json tags = nlohmann::json::array()) {
    database->transaction([&] {
      Document document;
      document.docid = docid;
      document.text = text;
      document.tags = std::move(tags);
      document.content_hash = docid;
      auto id = DocumentRepository(*database).insert(target, document, {1.0f, 0.0f}, 1);
      if (docids_by_id.size() <= static_cast<size_t>(id)) docids_by_id.resize(static_cast<size_t>(id) + 1);
      docids_by_id[static_cast<size_t>(id)] = docid;
    });
  }

  void add_many(const std::vector<std::pair<Collection, std::string>>& documents) {
    database->transaction([&] {
      for (size_t index = 0; index < documents.size(); ++index) {
        Document document;
        document.docid = "bulk" + std::to_string(index);
        document.text = documents[index].second;
        document.content_hash = document.docid;
        auto id = DocumentRepository(*database).insert(documents[index].first, document, {1.0f, 0.0f}, 1);
        if (docids_by_id.size() <= static_cast<size_t>(id)) docids_by_id.resize(static_cast<size_t>(id) + 1);
        docids_by_id[static_cast<size_t>(id)] = document.docid;
      }
    });
  }

  std::vector<std::string> search(LexicalQuery query) {
    std::vector<std::string> docids;
    for (const auto& candidate : lexical_candidates(*database, query))
      docids.push_back(docids_by_id[static_cast<size_t>(candidate.document)]);
    return docids;
  }
};
}  // namespace

TEST_CASE("lexical retriever: BM25 order within one collection, tag filter") {
  Store store;
  store.add(store.collection, "a", "zebra stripes and zebra foals", {"animals"});
  store.add(store.collection, "b", "a zebra crossing on the road");
  store.add(store.collection, "c", "nothing relevant here");
  store.add(store.other, "x", "zebra zebra zebra");

  auto found = store.search({store.collection.id, "zebra", {}});
  CHECK(found == std::vector<std::string>{"a", "b"});  // "x" is in another collection
  CHECK(store.search({store.collection.id, "zebra", {"animals"}}) == std::vector<std::string>{"a"});
  CHECK(store.search({store.collection.id, "the of and", {}}).empty() == false);  // stopwords only still match
  CHECK(store.search({store.collection.id, "  ¡¿ ", {}}).empty());
}

TEST_CASE("lexical retriever: a common word is left out when rarer ones are there") {
  Store store;
  // "common" is in five documents, "rare" in one, "scarce" in one.
  for (int index = 0; index < 5; ++index)
    store.add(store.collection, "common" + std::to_string(index), "common filler text number " + std::to_string(index));
  store.add(store.collection, "rare", "rare word with common company");
  store.add(store.collection, "scarce", "scarce item");

  LexicalQuery query{store.collection.id, "common rare scarce", {}};
  // Unpruned (the store is far below the 500-document floor): every
  // document holding any word.
  auto unpruned = store.search(query);
  CHECK(unpruned.size() == 7);
  CHECK(std::set<std::string>(unpruned.begin(), unpruned.begin() + 2) == std::set<std::string>{"rare", "scarce"});

  // With "common" above the threshold, only the rare words' documents are candidates.
  query.common_term_documents = 3;
  auto pruned = store.search(query);
  CHECK(std::set<std::string>(pruned.begin(), pruned.end()) == std::set<std::string>{"rare", "scarce"});

  // Only common words: the documents holding all of them...
  query.text = "common filler";
  auto all_of = store.search(query);
  CHECK(all_of.size() == 5);
  // ...and any of them when none holds all.
  store.add(store.collection, "lonely1", "lonely");
  store.add(store.collection, "lonely2", "lonely");
  store.add(store.collection, "lonely3", "lonely");
  store.add(store.collection, "lonely4", "lonely");
  query.text = "common lonely";
  CHECK(store.search(query).size() == 10);
  // A rare word found only in another collection leaves no candidate here,
  // so the whole query is searched.
  store.add(store.other, "elsewhere", "xylophone");
  query.text = "common xylophone";
  CHECK(store.search(query).size() == 6);
  // One word, however common, is searched as it is.
  query.text = "common";
  CHECK(store.search(query).size() == 6);
}

// Knowing the collection's size lets the retriever rank the whole store's
// matches before reading any document row. It must still return exactly
// what joining every match to its row returns: the same scores in the same
// order, and the same documents wherever scores are not tied at the cut.
TEST_CASE("lexical retriever: ranking the store first gives the joined result") {
  Store store;
  std::mt19937 random(11);
  std::vector<std::string> words;
  for (int index = 0; index < 40; ++index) words.push_back("w" + std::to_string(index) + "x");
  auto text = [&] {
    std::string result;
    for (int word = 0; word < 8; ++word)
      result += words[std::uniform_int_distribution<size_t>(0, std::min<size_t>(39, word * 6 + 3))(random)] + " ";
    return result;
  };
  // The collection is 40 % of the store, so some queries find too few of its
  // documents among the store's best matches and must fall back.
  std::vector<std::pair<Collection, std::string>> documents;
  for (int index = 0; index < 600; ++index) documents.push_back({store.collection, text()});
  for (int index = 0; index < 900; ++index) documents.push_back({store.other, text()});
  std::shuffle(documents.begin(), documents.end(), random);
  store.add_many(documents);

  for (int round = 0; round < 200; ++round) {
    LexicalQuery query{store.collection.id, words[std::uniform_int_distribution<size_t>(0, 39)(random)], {}};
    if (round % 2) query.text += " " + words[std::uniform_int_distribution<size_t>(0, 39)(random)];
    query.limit = 10;
    auto joined = lexical_candidates(*store.database, query);
    query.collection_documents = 600;
    auto ranked_first = lexical_candidates(*store.database, query);
    INFO("query: " << query.text);
    REQUIRE(joined.size() == ranked_first.size());
    for (size_t index = 0; index < joined.size(); ++index)
      CHECK(joined[index].bm25 == doctest::Approx(ranked_first[index].bm25));
    if (joined.empty()) continue;
    auto cut = joined.back().bm25;
    std::set<int64_t> above_cut_joined, above_cut_ranked;
    for (const auto& candidate : joined)
      if (candidate.bm25 > cut + 1e-9) above_cut_joined.insert(candidate.document);
    for (const auto& candidate : ranked_first)
      if (candidate.bm25 > cut + 1e-9) above_cut_ranked.insert(candidate.document);
    CHECK(above_cut_joined == above_cut_ranked);
  }
}

TEST_CASE("lexical retriever: remembered common words are forgotten when the text changes") {
  Store store;
  store.add(store.collection, "one", "alpha beta");
  store.add(store.collection, "two", "gamma");
  CommonTermCache cache;
  LexicalQuery query{store.collection.id, "alpha gamma", {}};
  query.common_term_documents = 2;
  query.common_terms = &cache;
  auto found = store.search(query);
  CHECK(std::set<std::string>(found.begin(), found.end()) == std::set<std::string>{"one", "two"});
  CHECK(cache.common.size() == 2);
  CHECK(store.search(query).size() == 2);  // answered from the cache alike

  // "alpha" becomes common: a stale verdict would keep it in the match.
  for (int index = 0; index < 3; ++index) store.add(store.collection, "more" + std::to_string(index), "alpha filler");
  CHECK(store.search(query) == std::vector<std::string>{"two"});
  CHECK(cache.common.at("\"alpha\"") == true);
}

// The retriever tells weir_bm25() FTS5's structure cookie, so remembered row
// lengths go stale with no write, even one that keeps the table's totals.
TEST_CASE("lexical retriever: scores stay FTS5's bm25 across writes that keep the totals") {
  Store store;
  store.add(store.collection, "long", "ember ember glow glow glow ash ash ash ash ash");
  store.add(store.collection, "short", "ember");
  store.add(store.collection, "other", "unrelated words only here");
  LexicalQuery query{store.collection.id, "ember", {}};
  query.collection_documents = 3;
  auto expected = [&] {
    std::map<std::string, double> scores;
    auto rows = store.database->prepare(
        "SELECT rowid, -bm25(documents_fts) FROM documents_fts WHERE documents_fts MATCH '\"ember\"'");
    while (rows.step()) scores[store.docids_by_id[static_cast<size_t>(rows.integer(0))]] = rows.real(1);
    return scores;
  };
  auto found = [&] {
    std::map<std::string, double> scores;
    for (const auto& candidate : lexical_candidates(*store.database, query))
      scores[store.docids_by_id[static_cast<size_t>(candidate.document)]] = candidate.bm25;
    return scores;
  };
  auto check_equal = [&] {
    auto want = expected();
    auto got = found();
    REQUIRE(got.size() == want.size());
    for (const auto& [docid, score] : want) CHECK(got.at(docid) == doctest::Approx(score).epsilon(1e-12));
  };
  check_equal();
  // The two texts trade places: same rows, same token total.
  store.database->transaction([&] {
    DocumentRepository documents(*store.database);
    auto longer = documents.get(store.collection, "long");
    auto shorter = documents.get(store.collection, "short");
    std::swap(longer.text, shorter.text);
    documents.replace_text(longer.id, longer, {1.0f, 0.0f}, 2);
    documents.replace_text(shorter.id, shorter, {1.0f, 0.0f}, 2);
  });
  check_equal();
}
