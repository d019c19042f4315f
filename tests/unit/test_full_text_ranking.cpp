// weir_bm25() must rank exactly as FTS5's bm25(): same score for every row of
// every query, also after writes change the lengths it remembered.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/document_repository.hpp"

using namespace weir;

namespace {
struct RankedStore {
  std::filesystem::path directory;
  std::unique_ptr<Database> database;
  Collection collection;
  std::mt19937 random{5};
  std::vector<std::string> words;

  RankedStore() {
    directory = std::filesystem::temp_directory_path() / ("weir-ranking-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    database = std::make_unique<Database>((directory / "weir.db").string());
    collection = CollectionRepository(*database).create("kb", "local", 2, "");
    for (int index = 0; index < 60; ++index) words.push_back("t" + std::to_string(index) + "q");
  }
  ~RankedStore() { std::filesystem::remove_all(directory); }

  std::string text(int length) {
    std::string result;
    for (int word = 0; word < length; ++word)
      result += words[std::uniform_int_distribution<size_t>(0, word % 3 == 0 ? 59 : 9)(random)] + " ";
    return result;
  }

  void add(int count, const std::string& prefix) {
    ++version;
    database->transaction([&] {
      std::vector<Document> documents(static_cast<size_t>(count));
      std::vector<float> vector = {1.0f, 0.0f};
      std::vector<DocumentInsert> inserts;
      for (int index = 0; index < count; ++index) {
        auto& document = documents[static_cast<size_t>(index)];
        document.docid = prefix + std::to_string(index);
        document.text = text(std::uniform_int_distribution<int>(1, 40)(random));
        document.content_hash = document.docid;
        inserts.push_back({document, vector});
      }
      DocumentRepository(*database).insert_many(collection, inserts, 1);
    });
  }

  // The caller's version of the index: bumped by every write below.
  int64_t version = 1;

  // Every row of the query: FTS5's score and ours, with the current version
  // (lengths remembered across queries) or without one.
  void compare(const std::string& expression, bool versioned = true) {
    auto query = database->prepare(versioned ? "SELECT rowid, bm25(documents_fts), weir_bm25(documents_fts, ?2) "
                                               "FROM documents_fts WHERE documents_fts MATCH ?1"
                                             : "SELECT rowid, bm25(documents_fts), weir_bm25(documents_fts) "
                                               "FROM documents_fts WHERE documents_fts MATCH ?1");
    query.bind(1, expression);
    if (versioned) query.bind(2, version);
    int rows = 0;
    while (query.step()) {
      ++rows;
      INFO("query " << expression << ", row " << query.integer(0));
      CHECK(query.real(2) == doctest::Approx(query.real(1)).epsilon(1e-12));
    }
    CHECK(rows > 0);
  }

  void compare_many(int count) {
    for (int round = 0; round < count; ++round) {
      std::string expression = "\"" + words[std::uniform_int_distribution<size_t>(0, 59)(random)] + "\"";
      if (round % 2) expression += " OR \"" + words[std::uniform_int_distribution<size_t>(0, 9)(random)] + "\"";
      if (round % 3 == 0) expression += " OR \"" + words[std::uniform_int_distribution<size_t>(10, 59)(random)] + "\"";
      compare(expression);
    }
  }
};
}  // namespace

TEST_CASE("weir_bm25 scores every row as FTS5's bm25 does, before and after writes") {
  RankedStore store;
  store.add(400, "a");
  store.compare_many(60);
  store.compare("\"t1q\" OR \"t1q\"");  // a repeated phrase counts twice in both
  store.compare("\"t2q\" OR \"t30q\"", false);

  // Lengths were remembered above; these writes change rows, totals and N.
  DocumentRepository documents(*store.database);
  ++store.version;
  store.database->transaction([&] {
    auto changed = documents.get(store.collection, "a5");
    changed.text = store.text(70);
    documents.replace_text(changed.id, changed, {1.0f, 0.0f}, 2);
    documents.remove(store.collection, "a6", 2);
  });
  store.compare_many(60);
  store.add(100, "b");
  store.compare_many(60);

  // Two rows trade texts: the row count and token total stay as they were,
  // so only the version tells the remembered lengths are stale.
  auto rewrite = [&](const std::string& first_text, const std::string& second_text) {
    ++store.version;
    store.database->transaction([&] {
      auto first = documents.get(store.collection, "b1");
      auto second = documents.get(store.collection, "b2");
      first.text = first_text;
      second.text = second_text;
      documents.replace_text(first.id, first, {1.0f, 0.0f}, 3);
      documents.replace_text(second.id, second, {1.0f, 0.0f}, 3);
    });
  };
  const std::string longer = "t1q t2q t3q t4q t5q t6q t7q t8q t9q t1q t1q t1q";
  rewrite(longer, "t1q");
  store.compare("\"t1q\"");  // remembers both rows' lengths
  rewrite("t1q", longer);
  store.compare("\"t1q\"");
  store.compare_many(60);
}
