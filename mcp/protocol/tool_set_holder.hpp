// ToolSetHolder — the tools sessions offer, as they are now: a ToolSet that
// may be replaced as a whole while sessions run (a proxied server's tool
// list changed), or one that never changes.
//
// Contract: current() is a snapshot; a session reads it once per
// `tools/list` or `tools/call`, and a call keeps its snapshot until it ends,
// so a replace() never disturbs a call in flight. replace() swaps in a new set
// (only on a holder made with can_change: clients were told listChanged)
// and then runs every watcher (watchers.hpp) on the replacing thread, after
// the new set is visible, so a watcher that tells a client "the list changed"
// is never ahead of what tools/list returns. Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "mcp/protocol/tool_set.hpp"
#include "mcp/protocol/watchers.hpp"

namespace weir::mcp::protocol {

class ToolSetHolder {
 public:
  // A null `tools` is an empty set.
  explicit ToolSetHolder(std::shared_ptr<const ToolSet> tools, bool can_change = false);
  ToolSetHolder(const ToolSetHolder&) = delete;
  ToolSetHolder& operator=(const ToolSetHolder&) = delete;

  std::shared_ptr<const ToolSet> current() const;
  // Whether replace() may ever be called (what `initialize` advertises as tools.listChanged).
  bool can_change() const noexcept { return can_change_; }
  // Throws std::logic_error on a holder made without can_change.
  void replace(std::shared_ptr<const ToolSet> tools);
  // `on_change` runs after each replace() while the token is held.
  [[nodiscard]] std::shared_ptr<void> watch(std::function<void()> on_change) { return watchers_.add(std::move(on_change)); }

 private:
  const bool can_change_;
  mutable std::mutex mutex_;
  std::shared_ptr<const ToolSet> tools_;
  Watchers watchers_;
};

}  // namespace weir::mcp::protocol
