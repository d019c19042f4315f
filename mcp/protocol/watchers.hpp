// Watchers — callbacks to run when something changes, each kept only while
// whoever registered it holds its token.
//
// Contract: add() returns a token; dropping the last copy of it unregisters
// the callback, with no call to make and no lock to take, so a watcher may
// go away at any time, even while it is being told. notify() runs every
// live callback once, on the calling thread, outside any lock of this
// object (a callback may add watchers or notify again); a callback that is
// running when its token is dropped finishes normally. Callbacks must not
// throw. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace weir::mcp::protocol {

class Watchers {
 public:
  [[nodiscard]] std::shared_ptr<void> add(std::function<void()> callback);
  void notify();
  size_t size() const;  // live watchers

 private:
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<std::function<void()>>> callbacks_;
};

}  // namespace weir::mcp::protocol
