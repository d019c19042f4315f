#include "mcp/protocol/call_counter.hpp"

namespace weir::mcp::protocol {

void CallCounter::started() {
  std::lock_guard lock(mutex_);
  ++running_;
}

void CallCounter::finished() {
  std::lock_guard lock(mutex_);
  if (running_ > 0 && --running_ == 0) idle_.notify_all();
}

size_t CallCounter::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

bool CallCounter::wait_idle(std::optional<std::chrono::milliseconds> timeout) const {
  std::unique_lock lock(mutex_);
  if (!timeout) {
    idle_.wait(lock, [this] { return running_ == 0; });
    return true;
  }
  return idle_.wait_for(lock, *timeout, [this] { return running_ == 0; });
}

}  // namespace weir::mcp::protocol
