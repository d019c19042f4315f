// Ctrl-C handling for long commands: while an InterruptScope lives, SIGINT
// cancels its CancelToken instead of killing the process, so a stream stops
// cleanly, what arrived is kept, and the command exits with 130. The handler
// is installed without SA_RESTART so a blocking read (the REPL prompt) wakes.
#pragma once

#include "core/cancellation.hpp"

namespace weir::cli {

class InterruptScope {
 public:
  explicit InterruptScope(const CancelToken& token);
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

}  // namespace weir::cli
