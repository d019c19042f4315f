#include "core/engine/holding_filter.hpp"

namespace weir {

void HoldingFilter::on_delta(const StreamDelta& delta, const DeltaCallback& emit) {
  if (delta.content.empty() && !(delta.finish_reason && !pending_.empty())) {
    emit(delta);
    return;
  }
  observe(delta.content);
  pending_ += delta.content;
  StreamDelta passed = delta;
  // A finish chunk closes the answer: what is held goes out before it.
  passed.content = release(delta.finish_reason.has_value());
  if (!passed.content.empty() || !passed.reasoning.empty() || !passed.tool_calls.empty() || passed.finish_reason ||
      passed.usage)
    emit(passed);
}

void HoldingFilter::on_end(const DeltaCallback& emit) {
  if (pending_.empty()) return;
  StreamDelta rest;
  rest.content = release(true);
  if (!rest.content.empty()) emit(rest);
}

}  // namespace weir
