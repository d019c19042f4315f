// number_text — a number as people write it: the shortest text that reads
// back as the same double ("0.2", "2", "1e-05"), never std::to_string's
// fixed six decimals ("0.200000").
#pragma once

#include <charconv>
#include <string>

namespace weir {

inline std::string number_text(double value) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

}  // namespace weir
