// CancelToken — a cheap, copyable flag that asks long work to stop.
//
// Contract: whoever owns the work (a Ctrl-C handler, an MCP
// notifications/cancelled, an HTTP client disconnect) calls cancel(); the code
// doing the work polls cancelled() at safe points (between upstream bytes,
// between tool calls) and then throws Error(ErrorKind::interrupted). Copies
// share one flag. cancel() is async-signal-safe (a lock-free atomic store).
// linked() makes a token that also reports its parent's cancellation, so a
// part of the work (one upstream call) can be stopped alone while the
// caller's cancel still stops everything.
#pragma once

#include <atomic>
#include <memory>

namespace weir {

class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}

  void cancel() const noexcept { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const noexcept {
    return flag_->load(std::memory_order_relaxed) || (parent_ && parent_->cancelled());
  }
  // A new token, cancelled by its own cancel() or by this token's.
  CancelToken linked() const {
    CancelToken child;
    child.parent_ = std::make_shared<const CancelToken>(*this);
    return child;
  }
  // For a signal handler, which may only touch a lock-free atomic.
  std::atomic<bool>* raw_flag() const noexcept { return flag_.get(); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
  std::shared_ptr<const CancelToken> parent_;  // null: not linked
};

}  // namespace weir
