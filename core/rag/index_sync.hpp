// Index sync — hands out a collection's HNSW index, current with the store.
//
// The index file is a cache of the vectors in SQLite (principle 3). Opening it
// compares the generation it was built at with the collection's:
//   equal                 → used as it is (nothing is rebuilt);
//   behind, not below the collection's index_floor
//                         → caught up by replaying the vector changes and
//                           deletions that are newer, then saved;
//   missing, corrupt, of another dimension, below the floor, or ahead
//                         → rebuilt from every vector in the store, then saved.
// Deletions pile up as markDelete tombstones; when they are a large share the
// index is rebuilt (compacted) and the store's tombstone log is trimmed.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/rag/vector_index.hpp"
#include "core/store/collection_repository.hpp"

namespace weir {

class Database;

enum class IndexOpening { current, caught_up, rebuilt };

struct OpenedIndex {
  std::unique_ptr<VectorIndex> index;
  IndexOpening how = IndexOpening::current;
  int64_t replayed = 0;  // vectors and deletions replayed when catching up
};

std::string index_path(const std::string& indexes_directory, const Collection& collection);

// Loads the collection's index file and brings it current (see above),
// saving it when that changed anything.
OpenedIndex open_current_index(Database& database, Collection& collection, const std::string& indexes_directory);

struct BringCurrentOptions {
  // Rebuild when tombstones are too many (needs_compaction()).
  bool compact = true;
  // After a rebuild, trim the store's tombstone log and raise the
  // collection's index_floor (record_rebuild()): a write, so an index
  // that may never be saved must not do it.
  bool record_rebuild = true;
  // Checked between batches of a long rebuild or catch-up; set, the work
  // stops with Error(interrupted).
  const std::atomic<bool>* abandon = nullptr;
};

// The same, for an index already in memory (null: none): catches it up or
// rebuilds it by the rules above, without saving. `collection` is refreshed.
OpenedIndex bring_current(Database& database, Collection& collection, std::unique_ptr<VectorIndex> index,
                          const BringCurrentOptions& options = {});

// Tombstones up to `generation` are no longer needed by an index rebuilt
// there; older index files must then rebuild too (the floor).
void record_rebuild(Database& database, const Collection& collection, int64_t generation);

// Atomically writes `index` as the collection's index file.
void save_index(const VectorIndex& index, const Collection& collection, const std::string& indexes_directory);

}  // namespace weir

namespace weir {

// What `weir collection check` reports: whether the index, once opened (and
// so caught up or rebuilt as needed), holds exactly the store's vectors, and
// whether the full-text index holds every document.
struct IndexCheck {
  IndexOpening opening = IndexOpening::current;
  int64_t documents = 0;       // documents with a vector in the store
  int64_t indexed = 0;         // live vectors in the index
  int64_t missing = 0;         // in the store, not in the index
  int64_t full_text_missing = 0;  // documents the full-text index lacks
  int64_t generation = 0;
  bool consistent() const { return missing == 0 && documents == indexed && full_text_missing == 0; }
};

IndexCheck check_index(Database& database, Collection& collection, const std::string& indexes_directory);

}  // namespace weir
