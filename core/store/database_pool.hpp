// DatabasePool — SQLite connections for concurrent requests (MCP tool calls, HTTP).
//
// A Database is not thread-safe, and two requests must not wait for
// each other, so each call leases a connection of its own: an idle one when
// there is one, else a new one. The home directory and the first connection
// are made on the first lease, not at start-up (the server must answer
// its first handshake before it has touched the disk). Thread-safe.
//
// Idle connections are kept for the next lease, so the pool holds as many as
// were ever leased at once; each holds descriptors (file, WAL, shared memory)
// and a page cache. close_one_idle() gives one back: a server calls it when
// one of its workers ends, so after a burst the pool shrinks with the
// workers that made it grow.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/store/database.hpp"
#include "core/store/paths.hpp"

namespace weir {

class DatabasePool {
 public:
  explicit DatabasePool(Paths paths) : paths_(std::move(paths)) {}

  class Lease {
   public:
    Lease(DatabasePool& pool, std::unique_ptr<Database> database) : pool_(pool), database_(std::move(database)) {}
    ~Lease() { pool_.give_back(std::move(database_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Database& operator*() const { return *database_; }

   private:
    DatabasePool& pool_;
    std::unique_ptr<Database> database_;
  };

  Lease acquire();
  // A connection of the caller's own (a Searcher keeps one for good).
  std::unique_ptr<Database> open();
  // Closes one idle connection, if there is one (the least recently used).
  void close_one_idle();
  size_t idle_count();
  const Paths& paths() const { return paths_; }

 private:
  void give_back(std::unique_ptr<Database> database);
  Paths paths_;
  std::mutex mutex_;
  std::mutex open_mutex_;
  bool home_ready_ = false;
  std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace weir
