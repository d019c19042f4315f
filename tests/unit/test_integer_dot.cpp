#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/rag/integer_dot.hpp"

using namespace weir;

namespace {
int32_t reference_dot(const std::vector<int8_t>& left, const std::vector<int8_t>& right) {
  int32_t total = 0;
  for (size_t index = 0; index < left.size(); ++index) total += int32_t{left[index]} * right[index];
  return total;
}

int32_t sum_of(const std::vector<int8_t>& values) {
  int32_t total = 0;
  for (auto value : values) total += value;
  return total;
}
}  // namespace

// The CI machine may pick another kernel than a developer's: each one this
// CPU can run must give the exact sum, at every length (tails included) and
// at the extremes of the component range.
TEST_CASE("integer dot: every kernel on this CPU returns the exact sum") {
  auto kernels = available_integer_dots();
  REQUIRE(!kernels.empty());
  CHECK(std::string(kernels.front().name) == "portable");
  MESSAGE("kernels on this CPU: " << kernels.size() << ", best: " << kernels.back().name);
  CHECK((best_integer_dot() == kernels.back().function));

  std::mt19937 random(7);
  std::uniform_int_distribution<int> component(-127, 127);
  for (size_t size : {1u, 3u, 31u, 32u, 33u, 63u, 64u, 65u, 127u, 128u, 129u, 384u, 512u, 777u, 1024u}) {
    std::vector<int8_t> left(size), right(size);
    for (size_t index = 0; index < size; ++index) {
      left[index] = static_cast<int8_t>(component(random));
      right[index] = static_cast<int8_t>(component(random));
    }
    std::vector<std::vector<int8_t>> cases = {left, right, std::vector<int8_t>(size, 127), std::vector<int8_t>(size, -127), std::vector<int8_t>(size, 0)};
    for (const auto& a : cases)
      for (const auto& b : cases)
        for (const auto& kernel : kernels) {
          INFO("kernel " << kernel.name << ", size " << size);
          CHECK(kernel.function(a.data(), b.data(), size, sum_of(b)) == reference_dot(a, b));
        }
  }
}
