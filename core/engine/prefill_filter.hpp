// PrefillFilter — puts a gateway's prefill at the start of the answer.
//
// The prefill travels upstream as a trailing assistant message, and the model
// continues it; the caller must still see the answer whole. This filter emits
// the prefill as a content delta of its own right before the first delta it
// is given (or at the end, when the upstream sent nothing), then passes every
// delta through unchanged.
#pragma once

#include <string>

#include "core/engine/stream_filter.hpp"

namespace weir {

class PrefillFilter final : public StreamFilter {
 public:
  explicit PrefillFilter(std::string prefill) : prefill_(std::move(prefill)) {}

  void on_delta(const StreamDelta& delta, const DeltaCallback& emit) override;
  void on_end(const DeltaCallback& emit) override;

 private:
  void emit_prefill(const DeltaCallback& emit);
  std::string prefill_;
  bool emitted_ = false;
};

}  // namespace weir
