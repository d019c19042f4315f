#include "core/store/database_pool.hpp"

namespace weir {

DatabasePool::Lease DatabasePool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto database = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(database));
    }
  }
  return Lease(*this, open());
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
