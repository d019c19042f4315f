// IndexFollower — builds a collection's HNSW index while an import writes it.
//
// An import spends about half its CPU in SQLite, on one core, and the other
// half inserting vectors into the graph. Inserting only after the last batch
// leaves a core idle for the first half. A follower instead runs a thread
// with its own connection to the store that keeps bringing the index current
// (index_sync.hpp's rules: load or rebuild, then replay what each committed
// batch changed), so graph and store grow side by side; finish() catches up
// what is left and saves the file.
//
// It only reads what is committed, by generation, so it is right whatever
// else writes to the collection meanwhile, and it writes nothing to the store
// itself (no tombstone trimming or compaction until finish()). It runs at idle
// priority: the spare core is what it is for, and it must not slow the
// writer down while the writer holds the store's lock. Destroyed without
// finish() (the import failed or was cancelled) it stops, within a batch of
// a rebuild, and saves nothing: the next open catches up from the file as it
// was.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/rag/index_sync.hpp"
#include "core/store/collection_repository.hpp"

namespace weir {

class Database;

class IndexFollower {
 public:
  // Follows `collection` in the store `database` is connected to (on a
  // connection of its own).
  IndexFollower(const Database& database, const std::string& indexes_directory, const Collection& collection);
  ~IndexFollower();
  IndexFollower(const IndexFollower&) = delete;
  IndexFollower& operator=(const IndexFollower&) = delete;

  // Stops following, brings the index current through `database` (the
  // caller's connection) and saves it. If following failed, this is
  // open_current_index(), which reports the problem as it would have.
  OpenedIndex finish(Database& database);

  // Blocks until a step of following has brought the index to at least
  // `generation` (the collection's, as committed), or `timeout` passes or
  // following ended; true in the first case. Lets a caller (a test) see that
  // the follower kept up with what it committed so far.
  bool wait_until_followed(int64_t generation, std::chrono::milliseconds timeout);

 private:
  void follow();
  // Ends following after the step under way, or within a batch of it when
  // `abandon`.
  void stop(bool abandon);

  std::string database_path_;
  std::string indexes_directory_;
  Collection collection_;
  // The follower thread's until it is joined.
  std::unique_ptr<VectorIndex> index_;
  int64_t file_generation_ = -1;  // of the index file as read; -1 when it was unusable
  bool rebuilt_ = false;          // some step rebuilt the index (record_rebuild() is due)
  std::exception_ptr failure_;
  int64_t followed_generation_ = -1;  // of the index after the last step; under mutex_
  std::condition_variable followed_;
  bool following_ended_ = false;  // under mutex_
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> abandoning_{false};
  std::thread thread_;
};

}  // namespace weir
