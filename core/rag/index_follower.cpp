#include "core/rag/index_follower.hpp"

#include <chrono>

#include "core/store/database.hpp"

namespace weir {

namespace {
// How long the follower waits between looks at the collection's generation:
// a batch of 256 chunks takes ~30 ms to write, so this keeps it a batch or
// two behind at most, at the cost of one indexed query per look.
constexpr auto kPollInterval = std::chrono::milliseconds(15);
}  // namespace

IndexFollower::IndexFollower(const Paths& paths, const Collection& collection)
    : paths_(paths), collection_(collection), thread_([this] { follow(); }) {}

IndexFollower::~IndexFollower() { stop(); }

void IndexFollower::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IndexFollower::follow() {
  try {
    Database database(paths_.database);
    index_ = VectorIndex::load(index_path(paths_.indexes, collection_), collection_.dimension);
    if (index_) file_generation_ = index_->generation();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      index_ = bring_current(database, collection_, std::move(index_)).index;
      lock.lock();
      wake_.wait_for(lock, kPollInterval, [this] { return stopping_; });
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    failure_ = std::current_exception();
  }
}

OpenedIndex IndexFollower::finish(Database& database) {
  stop();
  if (failure_ || !index_) return open_current_index(database, collection_, paths_.indexes);
  auto opened = bring_current(database, collection_, std::move(index_));
  // Nothing changed since the file was read (an import of unchanged lines):
  // it is still current.
  if (opened.index->generation() == file_generation_) return opened;
  if (opened.how == IndexOpening::current) opened.how = IndexOpening::caught_up;
  save_index(*opened.index, collection_, paths_.indexes);
  return opened;
}

}  // namespace weir
