#include "core/engine/prefill_filter.hpp"

namespace weir {

void PrefillFilter::emit_prefill(const DeltaCallback& emit) {
  if (emitted_) return;
  emitted_ = true;
  StreamDelta prefill;
  prefill.content = prefill_;
  emit(prefill);
}

void PrefillFilter::on_delta(const StreamDelta& delta, const DeltaCallback& emit) {
  emit_prefill(emit);
  emit(delta);
}

void PrefillFilter::on_end(const DeltaCallback& emit) { emit_prefill(emit); }

}  // namespace weir
