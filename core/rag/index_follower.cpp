#include "core/rag/index_follower.hpp"

#include <pthread.h>
#include <sched.h>

#include <chrono>

#include "core/store/database.hpp"

namespace weir {

namespace {
// How long the follower waits between looks at the collection's generation:
// a batch of 256 chunks takes ~30 ms to write, so this keeps it a batch or
// two behind at most, at the cost of one indexed query per look.
constexpr auto kPollInterval = std::chrono::milliseconds(15);
}  // namespace

IndexFollower::IndexFollower(const Database& database, const std::string& indexes_directory,
                             const Collection& collection)
    : database_path_(database.path()),
      indexes_directory_(indexes_directory),
      collection_(collection),
      thread_([this] { follow(); }) {}

IndexFollower::~IndexFollower() { stop(/*abandon=*/true); }

void IndexFollower::stop(bool abandon) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (abandon) abandoning_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IndexFollower::follow() {
  // Best effort: without it the follower merely competes as an equal.
  sched_param parameters{};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &parameters);
  try {
    Database database(database_path_);
    index_ = VectorIndex::load(index_path(indexes_directory_, collection_), collection_.dimension);
    if (index_) file_generation_ = index_->generation();
    BringCurrentOptions options;
    options.compact = false;
    options.record_rebuild = false;
    options.abandon = &abandoning_;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      auto step = bring_current(database, collection_, std::move(index_), options);
      index_ = std::move(step.index);
      if (step.how == IndexOpening::rebuilt) rebuilt_ = true;
      lock.lock();
      if (index_) followed_generation_ = index_->generation();
      followed_.notify_all();
      wake_.wait_for(lock, kPollInterval, [this] { return stopping_.load(); });
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    failure_ = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  following_ended_ = true;
  followed_.notify_all();
}

bool IndexFollower::wait_until_followed(int64_t generation, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  followed_.wait_for(lock, timeout, [&] { return followed_generation_ >= generation || following_ended_; });
  return followed_generation_ >= generation;
}

OpenedIndex IndexFollower::finish(Database& database) {
  // A step under way (even a whole rebuild) is let finish: its work is
  // what comes next anyway.
  stop(/*abandon=*/false);
  if (failure_ || !index_) return open_current_index(database, collection_, indexes_directory_);
  auto opened = bring_current(database, collection_, std::move(index_));
  if (rebuilt_ && opened.how != IndexOpening::rebuilt) {
    record_rebuild(database, collection_, opened.index->generation());
    opened.how = IndexOpening::rebuilt;
  }
  // Nothing changed since the file was read (an import of unchanged lines):
  // it is still current.
  if (opened.index->generation() == file_generation_ && opened.how == IndexOpening::current) return opened;
  if (opened.how == IndexOpening::current) opened.how = IndexOpening::caught_up;
  save_index(*opened.index, collection_, indexes_directory_);
  return opened;
}

}  // namespace weir
