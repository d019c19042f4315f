// CancelToken — a cheap, copyable flag that asks long work to stop.
//
// Contract: whoever owns the work (a Ctrl-C handler, an MCP
// notifications/cancelled, an HTTP client disconnect) calls cancel(); the code
// doing the work polls cancelled() at safe points (between upstream bytes,
// between tool calls) and then throws Error(ErrorKind::interrupted). Copies
// share one flag. cancel() is async-signal-safe (a lock-free atomic store).
#pragma once

#include <atomic>
#include <memory>

namespace weir {

class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}

  void cancel() const noexcept { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const noexcept { return flag_->load(std::memory_order_relaxed); }
  // For a signal handler, which may only touch a lock-free atomic.
  std::atomic<bool>* raw_flag() const noexcept { return flag_.get(); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace weir
