// CallCancellation — the cancelled state of one request in flight.
//
// Contract: cancel() is called by the reading thread when
// `notifications/cancelled` names the request; it runs every callback
// registered with on_cancel() exactly once, outside the lock. A callback
// registered after cancellation runs at once. Callbacks must be quick and
// thread-safe (flip a flag, abort a transfer): they run on the reading thread.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

namespace weir::mcp::protocol {

class CallCancellation {
 public:
  void cancel();
  bool cancelled() const;
  void on_cancel(std::function<void()> callback);

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace weir::mcp::protocol
