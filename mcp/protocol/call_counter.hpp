// CallCounter — how many tool calls are running, and a way to wait until
// none is. A session counts its own calls; a transport may give all its
// sessions one more counter so that shutting down can wait for every call.
//
// Contract: thread-safe; every started() is matched by one finished().
// wait_idle() returns true once the count is zero, false if `timeout` passed
// first (no timeout: wait for ever).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace weir::mcp::protocol {

class CallCounter {
 public:
  void started();
  void finished();
  size_t running() const;
  bool wait_idle(std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable idle_;
  size_t running_ = 0;
};

}  // namespace weir::mcp::protocol
