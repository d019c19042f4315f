#include "core/hash.hpp"

#include <algorithm>
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

Hash64Stream::Hash64Stream(uint64_t seed) noexcept
    : lanes_{seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1} {}

// Four independent lanes keep the multiplier pipeline busy on long inputs.
void Hash64Stream::mix_block(const unsigned char* block) noexcept {
  for (size_t lane = 0; lane < lanes_.size(); ++lane)
    lanes_[lane] = rotate_left(lanes_[lane] + read_word(block + lane * 8) * kPrime2, 31) * kPrime1;
}

void Hash64Stream::update(const void* data, size_t size) noexcept {
  // An empty std::vector's data() may be null, which memcpy must not see.
  if (size == 0) return;
  const auto* bytes = static_cast<const unsigned char*>(data);
  total_size_ += size;
  if (pending_size_ > 0) {
    size_t taken = std::min(size, kBlockSize - pending_size_);
    std::memcpy(pending_.data() + pending_size_, bytes, taken);
    pending_size_ += taken;
    bytes += taken;
    size -= taken;
    if (pending_size_ < kBlockSize) return;
    mix_block(pending_.data());
    pending_size_ = 0;
  }
  for (; size >= kBlockSize; bytes += kBlockSize, size -= kBlockSize) mix_block(bytes);
  std::memcpy(pending_.data(), bytes, size);
  pending_size_ = size;
}

uint64_t Hash64Stream::finish() const noexcept {
  uint64_t hash = rotate_left(lanes_[0], 1) + rotate_left(lanes_[1], 7) + rotate_left(lanes_[2], 12) +
                  rotate_left(lanes_[3], 18) + total_size_ * kPrime3;
  const unsigned char* bytes = pending_.data();
  size_t remaining = pending_size_;
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

uint64_t hash64(const void* data, size_t size, uint64_t seed) noexcept {
  Hash64Stream stream(seed);
  stream.update(data, size);
  return stream.finish();
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
