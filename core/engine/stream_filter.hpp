// StreamFilter — a step on the way out that may hold back, rewrite or end
// the answer's delta stream (DESIGN.md pipeline step 10).
//
// The engine chains a request's filters: the upstream's deltas (after the
// tool loop) enter the first, what a filter emits enters the next, and what
// the last emits reaches the front door. Server-side tool activity deltas
// bypass the filters: they are not the answer.
//
// Contract:
// - on_delta() is called for each delta in order, on the request's thread.
//   It passes on zero, one or several deltas through `emit`; a delta it holds
//   back it may emit later (in on_delta or on_end) or never.
// - on_end() is called once, after the upstream answer is complete (or the
//   stream was ended early, below); it emits whatever is still held back.
//   A filter that decides the answer must not be given (a deny) throws a
//   weir::Error there or in on_delta: the request fails with it.
// - ended() true after an on_delta asks the engine to stop the upstream
//   call: the answer ends with what the filters let through so far, with
//   end_reason() as its finish_reason.
// - The answer the engine returns (and logs, and saves in a session) is the
//   fold of what the last filter emitted, so a rewrite is seen the same way
//   streamed and not.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/provider/provider.hpp"

namespace weir {

class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  virtual void on_delta(const StreamDelta& delta, const DeltaCallback& emit) = 0;
  virtual void on_end(const DeltaCallback& emit) { (void)emit; }
  virtual bool ended() const { return false; }
  virtual std::string end_reason() const { return "stop"; }
};

// Runs deltas through filters in order and hands the result to `output`.
class FilterChain {
 public:
  FilterChain(std::vector<std::unique_ptr<StreamFilter>>& filters, DeltaCallback output);
  // The emitters point at this object: it stays where it was made.
  FilterChain(const FilterChain&) = delete;
  FilterChain& operator=(const FilterChain&) = delete;

  void push(const StreamDelta& delta);
  // Ends every filter in order, so what one emits at its end still passes the later ones.
  void finish();
  // True when a filter asked to end the stream; its end_reason().
  bool ended() const { return !end_reason_.empty(); }
  const std::string& end_reason() const { return end_reason_; }

 private:
  void push_from(size_t position, const StreamDelta& delta);

  std::vector<std::unique_ptr<StreamFilter>>& filters_;
  DeltaCallback output_;
  std::vector<DeltaCallback> emitters_;  // emitters_[i]: what filter i emits into
  std::string end_reason_;
};

}  // namespace weir
