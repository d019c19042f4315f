#include "core/store/database_pool.hpp"

namespace weir {

namespace {
// About SQLite's own default (2,000 KiB); a request reads a few dozen pages (key, gateway,
// provider, session), an MCP upsert a few hundred.
constexpr size_t kLeasedPageCacheKibibytes = 2048;
}  // namespace

DatabasePool::Lease DatabasePool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto database = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(database));
    }
  }
  // Leased connections serve short requests in a process that also writes a
  // request-log row per request. With memory-mapped reads, every read
  // transaction after another connection's commit unmaps the whole mapping
  // and maps it again (munmap and TLB shootdowns across the workers: the
  // largest cost of weir serve at 64 clients, bench/serve). Page-cache reads
  // are cheaper here; searches keep mmap on their own connections.
  // Without mmap every page read lands in the connection's own cache, and
  // the pool keeps a connection per worker that was ever busy: bound each one
  // (the request log's commits empty them all between requests anyway).
  auto database = open();
  database->execute("PRAGMA mmap_size=0");
  database->limit_page_cache(kLeasedPageCacheKibibytes);
  return Lease(*this, std::move(database));
}

std::unique_ptr<Database> DatabasePool::open() {
  std::lock_guard lock(open_mutex_);
  if (!home_ready_) {
    ensure_home(paths_);
    home_ready_ = true;
  }
  return std::make_unique<Database>(paths_.database);
}

void DatabasePool::close_one_idle() {
  std::unique_ptr<Database> closing;  // closed outside the lock
  std::lock_guard lock(mutex_);
  if (idle_.empty()) return;
  closing = std::move(idle_.front());
  idle_.erase(idle_.begin());
}

size_t DatabasePool::idle_count() {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

void DatabasePool::give_back(std::unique_ptr<Database> database) {
  if (!database) return;
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(database));
}

}  // namespace weir
