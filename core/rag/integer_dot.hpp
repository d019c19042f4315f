// Integer dot products — the inner loop of the vector index.
//
// The HNSW graph stores vectors as 8-bit integers (vector_index.cpp has the
// encoding), so building and searching it is mostly sum(a_i * b_i) over two
// int8 arrays. Every kernel here returns that sum exactly, as an int32, so
// machines differ only in speed, never in results. Components must lie in
// [-127, 127] (the AVX2 kernel relies on it), and `right_sum` must be the sum
// of `right`'s components (the VNNI kernel relies on it; the others ignore it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weir {

using IntegerDot = int32_t (*)(const int8_t* left, const int8_t* right, size_t size, int32_t right_sum);

struct IntegerDotKernel {
  const char* name;
  IntegerDot function;
};

// The fastest kernel this CPU runs (VNNI, AVX2, else portable C++).
IntegerDot best_integer_dot();

// Every kernel this CPU can run, the portable one first (for tests and
// benchmarks comparing them).
std::vector<IntegerDotKernel> available_integer_dots();

}  // namespace weir
