#include "core/engine/unmask_filter.hpp"

#include <algorithm>
#include <string_view>

namespace weir {

std::string UnmaskFilter::release(bool final) {
  const auto& originals = run_->originals();
  const size_t longest = run_->longest_placeholder();
  std::string shown;
  size_t position = 0;
  while (position < pending_.size()) {
    auto open = pending_.find('[', position);
    if (open == std::string::npos) {
      shown.append(pending_, position, std::string::npos);
      position = pending_.size();
      break;
    }
    shown.append(pending_, position, open - position);
    // Only as far as the longest placeholder reaches: a text of many '[' and
    // no ']' stays linear.
    auto close = std::string_view(pending_).substr(0, std::min(pending_.size(), open + longest)).find(']', open);
    if (close == std::string::npos || close - open + 1 > longest) {
      // No ']' yet: this may still become a placeholder, unless it is already too long to be one.
      if (!final && close == std::string::npos && pending_.size() - open < longest) {
        position = open;
        break;
      }
      shown += '[';
      position = open + 1;
      continue;
    }
    std::string_view candidate(pending_.data() + open, close - open + 1);
    if (auto found = originals.find(candidate); found != originals.end()) {
      shown += found->second;
      position = close + 1;
    } else {
      shown += '[';
      position = open + 1;
    }
  }
  pending_.erase(0, position);
  return shown;
}

}  // namespace weir
