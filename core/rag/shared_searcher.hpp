// SharedSearcher — one Searcher (and its loaded indexes) for every request of
// a server (HTTP, MCP), on a Database connection of its own, opened on first
// use. An index loaded once serves every request, which keeps a search at a
// few milliseconds instead of an index load each. Searches take turns (see
// Searcher). Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/cancellation.hpp"
#include "core/rag/search.hpp"
#include "core/store/database_pool.hpp"

namespace weir {

class SharedSearcher {
 public:
  explicit SharedSearcher(DatabasePool& pool) : pool_(pool) {}
  Searcher& searcher();
  std::vector<SearchHit> search(const SearchRequest& request, const CancelToken& cancel) {
    return searcher().search(request, cancel);
  }

 private:
  DatabasePool& pool_;
  std::mutex mutex_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<Searcher> searcher_;  // declared after database_: destroyed first
};

}  // namespace weir
