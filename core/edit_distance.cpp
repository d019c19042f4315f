#include "core/edit_distance.hpp"

#include <algorithm>
#include <vector>

namespace weir {

size_t edit_distance(const std::string& left, const std::string& right) {
  std::vector<size_t> previous(right.size() + 1), current(right.size() + 1);
  for (size_t column = 0; column <= right.size(); ++column) previous[column] = column;
  for (size_t row = 1; row <= left.size(); ++row) {
    current[0] = row;
    for (size_t column = 1; column <= right.size(); ++column)
      current[column] = std::min({previous[column] + 1, current[column - 1] + 1,
                                  previous[column - 1] + (left[row - 1] == right[column - 1] ? 0 : 1)});
    std::swap(previous, current);
  }
  return previous[right.size()];
}

}  // namespace weir
