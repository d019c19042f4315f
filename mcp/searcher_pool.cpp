#include "mcp/searcher_pool.hpp"

namespace weir::mcp {

struct SearcherPool::Entry {
  std::unique_ptr<Database> database;
  std::unique_ptr<Searcher> searcher;  // declared after database: destroyed first
};

SearcherPool::SearcherPool(DatabasePool& pool, size_t max_idle) : pool_(pool), max_idle_(max_idle) {}

SearcherPool::~SearcherPool() = default;

std::vector<SearchHit> SearcherPool::search(const SearchRequest& request, const CancelToken& cancel) {
  auto entry = lease();
  // A failed search leaves the Searcher usable (it holds only caches), so it
  // goes back either way.
  struct GiveBack {
    SearcherPool& pool;
    std::unique_ptr<Entry>& entry;
    ~GiveBack() { pool.give_back(std::move(entry)); }
  } give_back_on_exit{*this, entry};
  return entry->searcher->search(request, cancel);
}

std::unique_ptr<SearcherPool::Entry> SearcherPool::lease() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto entry = std::move(idle_.back());
      idle_.pop_back();
      return entry;
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->database = pool_.open();
  entry->searcher = std::make_unique<Searcher>(*entry->database, pool_.paths().indexes);
  return entry;
}

void SearcherPool::give_back(std::unique_ptr<Entry> entry) {
  std::unique_ptr<Entry> surplus;
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(entry));
    else surplus = std::move(entry);
  }
  // surplus (with its loaded indexes) is freed here, outside the lock.
}

}  // namespace weir::mcp
