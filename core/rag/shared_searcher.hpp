// SharedSearcher — one Searcher (and its loaded indexes) shared by every
// request of a server (HTTP, MCP), opened on first use. A Searcher is not thread-safe,
// so searches take turns; an index loaded once serves all of them, which is
// what keeps a search at a few milliseconds instead of an index load each.
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
  std::vector<SearchHit> search(const SearchRequest& request, const CancelToken& cancel);

 private:
  DatabasePool& pool_;
  std::mutex mutex_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<Searcher> searcher_;  // declared after database_: destroyed first
};

}  // namespace weir
