#include "core/hash.hpp"

#include <cstring>

namespace weir {

namespace {
constexpr uint64_t kPrime1 = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;

inline uint64_t rotate_left(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

// A final avalanche so every input bit affects every output bit.
inline uint64_t avalanche(uint64_t value) {
  value ^= value >> 33;
  value *= kPrime2;
  value ^= value >> 29;
  value *= kPrime3;
  value ^= value >> 32;
  return value;
}

inline uint64_t read_word(const unsigned char* bytes) {
  uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  return word;
}
}  // namespace

uint64_t hash64(const void* data, size_t size, uint64_t seed) noexcept {
  const auto* bytes = static_cast<const unsigned char*>(data);
  // Four independent lanes keep the multiplier pipeline busy on long inputs.
  uint64_t lanes[4] = {seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1};
  size_t remaining = size;
  while (remaining >= 32) {
    for (int lane = 0; lane < 4; ++lane) {
      lanes[lane] = rotate_left(lanes[lane] + read_word(bytes) * kPrime2, 31) * kPrime1;
      bytes += 8;
    }
    remaining -= 32;
  }
  uint64_t hash = rotate_left(lanes[0], 1) + rotate_left(lanes[1], 7) + rotate_left(lanes[2], 12) +
                  rotate_left(lanes[3], 18) + static_cast<uint64_t>(size) * kPrime3;
  while (remaining >= 8) {
    hash ^= rotate_left(read_word(bytes) * kPrime2, 31) * kPrime1;
    hash = rotate_left(hash, 27) * kPrime1 + kPrime3;
    bytes += 8;
    remaining -= 8;
  }
  while (remaining > 0) {
    hash ^= static_cast<uint64_t>(*bytes) * kPrime3;
    hash = rotate_left(hash, 11) * kPrime1;
    ++bytes;
    --remaining;
  }
  return avalanche(hash);
}

std::string hash64_hex(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t value = hash64(text);
  std::string hex(16, '0');
  for (int index = 15; index >= 0; --index) {
    hex[static_cast<size_t>(index)] = kHex[value & 0xF];
    value >>= 4;
  }
  return hex;
}

}  // namespace weir
