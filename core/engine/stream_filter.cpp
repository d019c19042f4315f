#include "core/engine/stream_filter.hpp"

namespace weir {

FilterChain::FilterChain(std::vector<std::unique_ptr<StreamFilter>>& filters, DeltaCallback output)
    : filters_(filters), output_(std::move(output)) {
  for (size_t position = 0; position < filters_.size(); ++position)
    emitters_.push_back([this, position](const StreamDelta& delta) { push_from(position + 1, delta); });
}

void FilterChain::push_from(size_t position, const StreamDelta& delta) {
  if (position == filters_.size()) {
    output_(delta);
    return;
  }
  auto& filter = *filters_[position];
  filter.on_delta(delta, emitters_[position]);
  if (end_reason_.empty() && filter.ended()) end_reason_ = filter.end_reason();
}

void FilterChain::push(const StreamDelta& delta) {
  if (delta.server_tool) {
    output_(delta);
    return;
  }
  if (ended()) return;  // the upstream is being stopped; what still arrives is not the answer
  push_from(0, delta);
}

void FilterChain::finish() {
  for (size_t position = 0; position < filters_.size(); ++position) filters_[position]->on_end(emitters_[position]);
}

}  // namespace weir
