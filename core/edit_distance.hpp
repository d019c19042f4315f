// Edit distance — how far apart two names are, for "did you mean" hints.
//
// The Levenshtein distance: the fewest single-byte insertions, deletions and
// substitutions that turn `left` into `right`. O(|left|·|right|) time, for
// the short names (gateways, fields, collections) it is used on.
#pragma once

#include <cstddef>
#include <string>

namespace weir {

size_t edit_distance(const std::string& left, const std::string& right);

}  // namespace weir
