#include "core/rag/shared_searcher.hpp"

namespace weir {

std::vector<SearchHit> SharedSearcher::search(const SearchRequest& request, const CancelToken& cancel) {
  std::lock_guard lock(mutex_);
  if (!searcher_) {
    database_ = pool_.open();
    searcher_ = std::make_unique<Searcher>(*database_, pool_.paths().indexes);
  }
  return searcher_->search(request, cancel);
}

}  // namespace weir
