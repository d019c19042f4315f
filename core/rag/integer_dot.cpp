#include "core/rag/integer_dot.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace weir {

namespace {

int32_t portable_dot(const int8_t* left, const int8_t* right, size_t size, int32_t) {
  int32_t sums[4] = {0, 0, 0, 0};
  size_t index = 0;
  for (; index + 4 <= size; index += 4)
    for (size_t lane = 0; lane < 4; ++lane) sums[lane] += int32_t{left[index + lane]} * right[index + lane];
  for (; index < size; ++index) sums[0] += int32_t{left[index]} * right[index];
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

#if defined(__x86_64__)
// |a| * (b * sign(a)) is a * b with an unsigned left operand, which is what
// maddubs multiplies; with components within ±127 its 16-bit pair sums
// (at most 2 * 127 * 127) cannot saturate.
__attribute__((target("avx2"))) int32_t avx2_dot(const int8_t* left, const int8_t* right, size_t size, int32_t) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i sums[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
  size_t index = 0;
  for (; index + 64 <= size; index += 64)
    for (size_t lane = 0; lane < 2; ++lane) {
      __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(left + index + 32 * lane));
      __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(right + index + 32 * lane));
      __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
      sums[lane] = _mm256_add_epi32(sums[lane], _mm256_madd_epi16(pairs, ones));
    }
  for (; index + 32 <= size; index += 32) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(left + index));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(right + index));
    __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
    sums[0] = _mm256_add_epi32(sums[0], _mm256_madd_epi16(pairs, ones));
  }
  __m256i total = _mm256_add_epi32(sums[0], sums[1]);
  __m128i half = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
  half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4E));
  half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0xB1));
  int32_t sum = _mm_cvtsi128_si32(half);
  for (; index < size; ++index) sum += int32_t{left[index]} * right[index];
  return sum;
}

// VNNI multiplies unsigned by signed bytes in one instruction. Flipping the
// top bit of a turns it into the unsigned a + 128, so the instruction yields
// sum(a * b) + 128 * sum(b), and the stored sum of b takes the excess off.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) int32_t vnni_dot(const int8_t* left, const int8_t* right,
                                                                        size_t size, int32_t right_sum) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i sums[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  size_t index = 0;
  for (; index + 128 <= size; index += 128)
    for (size_t lane = 0; lane < 2; ++lane) {
      __m512i a = _mm512_xor_si512(_mm512_loadu_si512(left + index + 64 * lane), flip);
      sums[lane] = _mm512_dpbusd_epi32(sums[lane], a, _mm512_loadu_si512(right + index + 64 * lane));
    }
  for (; index + 64 <= size; index += 64)
    sums[0] = _mm512_dpbusd_epi32(sums[0], _mm512_xor_si512(_mm512_loadu_si512(left + index), flip),
                                  _mm512_loadu_si512(right + index));
  // Summed through memory: g++ 12's reduction intrinsics trip -Wuninitialized.
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, _mm512_add_epi32(sums[0], sums[1]));
  int32_t sum = 0;
  for (int32_t lane : lanes) sum += lane;
  for (; index < size; ++index) sum += (int32_t{left[index]} + 128) * right[index];
  return sum - 128 * right_sum;
}
#endif

}  // namespace

std::vector<IntegerDotKernel> available_integer_dots() {
  std::vector<IntegerDotKernel> kernels = {{"portable", portable_dot}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) kernels.push_back({"avx2", avx2_dot});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vnni"))
    kernels.push_back({"vnni", vnni_dot});
#endif
  return kernels;
}

IntegerDot best_integer_dot() { return available_integer_dots().back().function; }

}  // namespace weir
