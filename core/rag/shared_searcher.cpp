#include "core/rag/shared_searcher.hpp"

namespace weir {

Searcher& SharedSearcher::searcher() {
  std::lock_guard lock(mutex_);
  if (!searcher_) {
    database_ = pool_.open();
    searcher_ = std::make_unique<Searcher>(*database_, pool_.paths().indexes);
  }
  return *searcher_;
}

}  // namespace weir
