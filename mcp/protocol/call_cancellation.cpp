#include "mcp/protocol/call_cancellation.hpp"

namespace weir::mcp::protocol {

void CallCancellation::cancel() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    callbacks.swap(callbacks_);
  }
  for (auto& callback : callbacks) callback();
}

bool CallCancellation::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

void CallCancellation::on_cancel(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (!cancelled_) {
      callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

}  // namespace weir::mcp::protocol
