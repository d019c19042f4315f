// HoldingFilter — a stream filter that may hold back the end of the answer's
// content until more arrives (the guardrails' output scan, the unmasking of
// placeholders), and the one rule for when held text goes out.
//
// Each content delta joins `pending_`; release() says how much of it may be
// shown now and removes that. A delta without content passes at once, unless
// it finishes the answer while text is held: then everything held goes out in
// it, before its finish reason. Reasoning, tool calls and usage pass untouched
// and never wait. At the end of the stream, what is still held is released.
#pragma once

#include <string>
#include <string_view>

#include "core/engine/stream_filter.hpp"

namespace weir {

class HoldingFilter : public StreamFilter {
 public:
  void on_delta(const StreamDelta& delta, const DeltaCallback& emit) final;
  void on_end(const DeltaCallback& emit) override;

 protected:
  // Sees each piece of content before it joins what is held.
  virtual void observe(std::string_view content) { (void)content; }
  // The part of pending_ that may be shown now (all of it when `final`),
  // removed from pending_, as it is to be shown.
  virtual std::string release(bool final) = 0;

  std::string pending_;  // content not yet shown
};

}  // namespace weir
