#include "core/rag/index_sync.hpp"

#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
// Adds every vector the statement yields (columns: id, vector), in batches
// that upsert_many spreads over the hardware threads.
int64_t add_vectors(Statement& rows, VectorIndex& index, const Collection& collection) {
  constexpr size_t kBatch = 16384;
  const auto dimension = static_cast<size_t>(collection.dimension);
  int64_t added = 0;
  std::vector<int64_t> labels;
  std::vector<float> vectors;
  auto flush = [&] {
    index.upsert_many(labels, vectors.data());
    added += static_cast<int64_t>(labels.size());
    labels.clear();
    vectors.clear();
  };
  while (rows.step()) {
    auto [data, size] = rows.blob(1);
    if (size != dimension * sizeof(float))
      throw Error(ErrorKind::runtime, "collection '" + collection.name + "': a stored vector has " +
                                          std::to_string(size / sizeof(float)) + " dimensions instead of " +
                                          std::to_string(collection.dimension) + "; the store is damaged");
    labels.push_back(rows.integer(0));
    vectors.resize(vectors.size() + dimension);
    std::memcpy(vectors.data() + vectors.size() - dimension, data, size);
    if (labels.size() == kBatch) flush();
  }
  if (!labels.empty()) flush();
  return added;
}

std::unique_ptr<VectorIndex> build_from_store(Database& database, const Collection& collection) {
  auto index = std::make_unique<VectorIndex>(collection.dimension);
  auto rows = database.prepare(
      "SELECT id, vector FROM documents WHERE collection_id = ?1 AND vector IS NOT NULL ORDER BY id");
  rows.bind(1, collection.id);
  add_vectors(rows, *index, collection);
  return index;
}
}  // namespace

std::string index_path(const std::string& indexes_directory, const Collection& collection) {
  return indexes_directory + "/" + collection.id + ".hnsw";
}

OpenedIndex open_current_index(Database& database, Collection& collection, const std::string& indexes_directory) {
  auto path = index_path(indexes_directory, collection);
  OpenedIndex opened;
  // One read transaction: the generation and the rows replayed agree even
  // while an import commits batches.
  database.execute("BEGIN");
  try {
    CollectionRepository(database).refresh(collection);
    opened.index = VectorIndex::load(path, collection.dimension);
    auto generation = collection.generation;
    if (opened.index && opened.index->generation() == generation) {
      database.execute("COMMIT");
      return opened;
    }
    if (opened.index && opened.index->generation() < generation &&
        opened.index->generation() >= collection.index_floor) {
      auto since = opened.index->generation();
      auto changed = database.prepare(
          "SELECT id, vector FROM documents WHERE collection_id = ?1 AND generation > ?2 AND vector IS NOT NULL");
      changed.bind(1, collection.id).bind(2, since);
      opened.replayed += add_vectors(changed, *opened.index, collection);
      auto deleted = database.prepare(
          "SELECT document_id FROM deleted_documents WHERE collection_id = ?1 AND generation > ?2");
      deleted.bind(1, collection.id).bind(2, since);
      while (deleted.step()) {
        opened.index->remove(deleted.integer(0));
        ++opened.replayed;
      }
      opened.how = IndexOpening::caught_up;
    } else {
      opened.index = build_from_store(database, collection);
      opened.how = IndexOpening::rebuilt;
    }
    if (opened.index->needs_compaction()) {
      opened.index = build_from_store(database, collection);
      opened.how = IndexOpening::rebuilt;
    }
    opened.index->set_generation(generation);
    database.execute("COMMIT");
  } catch (...) {
    database.execute("ROLLBACK");
    throw;
  }
  if (opened.how == IndexOpening::rebuilt) {
    // Tombstones at or below the rebuilt generation are no longer needed by
    // this index; older index files elsewhere must now rebuild (the floor).
    database.transaction([&] {
      database.prepare("DELETE FROM deleted_documents WHERE collection_id = ?1 AND generation <= ?2")
          .bind(1, collection.id)
          .bind(2, collection.generation)
          .run();
      database.prepare("UPDATE collections SET index_floor = max(index_floor, ?2) WHERE id = ?1")
          .bind(1, collection.id)
          .bind(2, collection.generation)
          .run();
    });
  }
  std::error_code error;
  std::filesystem::create_directories(indexes_directory, error);
  opened.index->save(path);
  return opened;
}

}  // namespace weir

namespace weir {

IndexCheck check_index(Database& database, Collection& collection, const std::string& indexes_directory) {
  auto opened = open_current_index(database, collection, indexes_directory);
  IndexCheck check;
  check.opening = opened.how;
  check.generation = opened.index->generation();
  check.indexed = static_cast<int64_t>(opened.index->live_count());
  auto rows = database.prepare("SELECT id FROM documents WHERE collection_id = ?1 AND vector IS NOT NULL");
  rows.bind(1, collection.id);
  while (rows.step()) {
    ++check.documents;
    if (!opened.index->contains(rows.integer(0))) ++check.missing;
  }
  // FTS5 keeps one docsize row per document it has indexed.
  auto unindexed = database.prepare(
      "SELECT count(*) FROM documents d WHERE d.collection_id = ?1 "
      "AND NOT EXISTS (SELECT 1 FROM documents_fts_docsize s WHERE s.id = d.id)");
  unindexed.bind(1, collection.id);
  unindexed.step();
  check.full_text_missing = unindexed.integer(0);
  return check;
}

}  // namespace weir
