// SearcherPool — Searchers (core/rag/search.hpp) for the search tools of a
// server, shared by every call and, over HTTP, by every session.
//
// A Searcher keeps the indexes it has opened loaded, so reusing one is what
// makes the second search fast; but it is not thread-safe. So a search leases
// an idle Searcher (with its own connection), or opens a new one when all are
// busy, and gives it back afterwards; at most `max_idle` are kept, which
// bounds the memory of loaded indexes whatever the number of sessions.
// Nothing is opened before the first search. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/cancellation.hpp"
#include "core/rag/search.hpp"
#include "core/store/database_pool.hpp"

namespace weir::mcp {

class SearcherPool {
 public:
  explicit SearcherPool(DatabasePool& pool, size_t max_idle = 2);
  ~SearcherPool();
  SearcherPool(const SearcherPool&) = delete;
  SearcherPool& operator=(const SearcherPool&) = delete;

  std::vector<SearchHit> search(const SearchRequest& request, const CancelToken& cancel);

 private:
  struct Entry;  // a Searcher and the connection it reads
  std::unique_ptr<Entry> lease();
  void give_back(std::unique_ptr<Entry> entry);

  DatabasePool& pool_;
  size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> idle_;
};

}  // namespace weir::mcp
