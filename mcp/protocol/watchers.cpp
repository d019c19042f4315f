#include "mcp/protocol/watchers.hpp"

#include <algorithm>

namespace weir::mcp::protocol {

namespace {

// Under the lock: watchers whose token is gone take no more room.
void forget_expired(std::vector<std::weak_ptr<std::function<void()>>>& callbacks) {
  callbacks.erase(std::remove_if(callbacks.begin(), callbacks.end(), [](const auto& weak) { return weak.expired(); }),
                  callbacks.end());
}

}  // namespace

std::shared_ptr<void> Watchers::add(std::function<void()> callback) {
  auto token = std::make_shared<std::function<void()>>(std::move(callback));
  std::lock_guard lock(mutex_);
  forget_expired(callbacks_);
  callbacks_.push_back(token);
  return token;
}

void Watchers::notify() {
  std::vector<std::shared_ptr<std::function<void()>>> live;
  {
    std::lock_guard lock(mutex_);
    forget_expired(callbacks_);
    for (const auto& weak : callbacks_)
      if (auto callback = weak.lock()) live.push_back(std::move(callback));
  }
  for (const auto& callback : live) (*callback)();
}

size_t Watchers::size() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(
      std::count_if(callbacks_.begin(), callbacks_.end(), [](const auto& weak) { return !weak.expired(); }));
}

}  // namespace weir::mcp::protocol
