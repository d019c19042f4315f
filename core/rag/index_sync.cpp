#include "core/rag/index_sync.hpp"

#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/private_files.hpp"

namespace weir {

namespace {
// Vectors are inserted this many at a time: enough for upsert_many to spread
// them over the hardware threads, little enough to hold in memory (32 MB at
// 512 dimensions).
constexpr size_t kBatch = 16384;

struct VectorBatch {
  std::vector<int64_t> labels;
  std::vector<float> vectors;
  bool complete = false;  // the statement has no more rows
};

// Up to `limit` rows of the statement (columns: id, vector).
VectorBatch read_vectors(Statement& rows, const Collection& collection, size_t limit) {
  const auto dimension = static_cast<size_t>(collection.dimension);
  VectorBatch batch;
  while (batch.labels.size() < limit) {
    if (!rows.step()) {
      batch.complete = true;
      break;
    }
    auto [data, size] = rows.blob(1);
    if (size != dimension * sizeof(float))
      throw Error(ErrorKind::runtime, "collection '" + collection.name + "': a stored vector has " +
                                          std::to_string(size / sizeof(float)) + " dimensions instead of " +
                                          std::to_string(collection.dimension) + "; the store is damaged");
    batch.labels.push_back(rows.integer(0));
    batch.vectors.resize(batch.vectors.size() + dimension);
    std::memcpy(batch.vectors.data() + batch.vectors.size() - dimension, data, size);
  }
  return batch;
}

// Adds every vector the statement still yields, a batch at a time.
int64_t add_vectors(Statement& rows, VectorIndex& index, const Collection& collection,
                    const std::atomic<bool>* abandon) {
  int64_t added = 0;
  for (;;) {
    if (abandon && abandon->load()) throw Error(ErrorKind::interrupted, "index update abandoned");
    auto batch = read_vectors(rows, collection, kBatch);
    if (!batch.labels.empty()) index.upsert_many(batch.labels, batch.vectors.data());
    added += static_cast<int64_t>(batch.labels.size());
    if (batch.complete) return added;
  }
}

std::unique_ptr<VectorIndex> build_from_store(Database& database, const Collection& collection,
                                              const std::atomic<bool>* abandon) {
  auto index = std::make_unique<VectorIndex>(collection.dimension);
  auto rows = database.prepare(
      "SELECT id, vector FROM documents WHERE collection_id = ?1 AND vector IS NOT NULL ORDER BY id");
  rows.bind(1, collection.id);
  add_vectors(rows, *index, collection, abandon);
  return index;
}
}  // namespace

std::string index_path(const std::string& indexes_directory, const Collection& collection) {
  return indexes_directory + "/" + collection.id + ".hnsw";
}

OpenedIndex bring_current(Database& database, Collection& collection, std::unique_ptr<VectorIndex> index,
                          const BringCurrentOptions& options) {
  OpenedIndex opened;
  opened.index = std::move(index);
  // One read transaction: the generation and the rows replayed agree even
  // while an import commits batches.
  database.execute("BEGIN");
  bool reading = true;
  auto end_reading = [&] {
    database.execute("COMMIT");
    reading = false;
  };
  try {
    CollectionRepository(database).refresh(collection);
    auto generation = collection.generation;
    if (opened.index && opened.index->dimension() == collection.dimension &&
        opened.index->generation() == generation) {
      end_reading();
      return opened;
    }
    if (opened.index && opened.index->dimension() == collection.dimension &&
        opened.index->generation() < generation && opened.index->generation() >= collection.index_floor) {
      auto since = opened.index->generation();
      auto changed = database.prepare(
          "SELECT id, vector FROM documents WHERE collection_id = ?1 AND generation > ?2 AND vector IS NOT NULL");
      changed.bind(1, collection.id).bind(2, since);
      auto deleted = database.prepare(
          "SELECT document_id FROM deleted_documents WHERE collection_id = ?1 AND generation > ?2");
      deleted.bind(1, collection.id).bind(2, since);
      std::vector<int64_t> removed;
      while (deleted.step()) removed.push_back(deleted.integer(0));
      opened.how = IndexOpening::caught_up;
      // A few batches behind (what an IndexFollower sees): read them, end
      // the read transaction, then insert. A reader held open while the
      // graph grows would keep the writer's WAL from ever restarting (an
      // import then left a 600 MB WAL that every later read goes through).
      auto changes = read_vectors(changed, collection, kBatch);
      if (changes.complete) {
        end_reading();
        if (!changes.labels.empty()) opened.index->upsert_many(changes.labels, changes.vectors.data());
        for (auto id : removed) opened.index->remove(id);
        opened.replayed += static_cast<int64_t>(changes.labels.size() + removed.size());
        opened.index->set_generation(generation);
        if (!options.compact || !opened.index->needs_compaction()) return opened;
        database.execute("BEGIN");
        reading = true;
        CollectionRepository(database).refresh(collection);
        generation = collection.generation;
        opened.index = build_from_store(database, collection, options.abandon);
        opened.how = IndexOpening::rebuilt;
      } else {
        opened.index->upsert_many(changes.labels, changes.vectors.data());
        opened.replayed +=
            static_cast<int64_t>(changes.labels.size()) + add_vectors(changed, *opened.index, collection, options.abandon);
        for (auto id : removed) opened.index->remove(id);
        opened.replayed += static_cast<int64_t>(removed.size());
      }
    } else {
      opened.index = build_from_store(database, collection, options.abandon);
      opened.how = IndexOpening::rebuilt;
    }
    if (options.compact && opened.index->needs_compaction()) {
      opened.index = build_from_store(database, collection, options.abandon);
      opened.how = IndexOpening::rebuilt;
    }
    opened.index->set_generation(generation);
    end_reading();
  } catch (...) {
    if (reading) database.execute("ROLLBACK");
    throw;
  }
  if (opened.how == IndexOpening::rebuilt && options.record_rebuild)
    record_rebuild(database, collection, opened.index->generation());
  return opened;
}

void record_rebuild(Database& database, const Collection& collection, int64_t generation) {
  database.transaction([&] {
    database.prepare("DELETE FROM deleted_documents WHERE collection_id = ?1 AND generation <= ?2")
        .bind(1, collection.id)
        .bind(2, generation)
        .run();
    database.prepare("UPDATE collections SET index_floor = max(index_floor, ?2) WHERE id = ?1")
        .bind(1, collection.id)
        .bind(2, generation)
        .run();
  });
}

void save_index(const VectorIndex& index, const Collection& collection, const std::string& indexes_directory) {
  // A failure here shows up as index.save's own error, which names the file.
  create_private_directories(indexes_directory);
  index.save(index_path(indexes_directory, collection));
}

OpenedIndex open_current_index(Database& database, Collection& collection, const std::string& indexes_directory) {
  auto opened =
      bring_current(database, collection, VectorIndex::load(index_path(indexes_directory, collection), collection.dimension));
  if (opened.how != IndexOpening::current) save_index(*opened.index, collection, indexes_directory);
  return opened;
}

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
