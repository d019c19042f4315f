// hash64 — a fast, portable, non-cryptographic 64-bit hash.
//
// Used where weir needs the same answer on every machine and run (content
// hashes that decide whether a document must be re-embedded, checksums of
// index files) but not resistance to an adversary. Not std::hash, whose
// values differ between standard libraries. The values are persisted (in the
// store and in index files): they must never change.
//
// Hash64Stream computes the same hash over bytes that arrive in pieces (a
// file written from several buffers): update() with every piece in order,
// then finish(), gives hash64() of their concatenation. It runs at several
// GB/s, so checksumming a 70 MB index on every load costs little.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weir {

class Hash64Stream {
 public:
  explicit Hash64Stream(uint64_t seed = 0) noexcept;
  void update(const void* data, size_t size) noexcept;
  // The hash of everything given so far; the stream may go on after it.
  uint64_t finish() const noexcept;

 private:
  static constexpr size_t kBlockSize = 32;
  void mix_block(const unsigned char* block) noexcept;

  std::array<uint64_t, 4> lanes_;
  std::array<unsigned char, kBlockSize> pending_{};
  size_t pending_size_ = 0;
  uint64_t total_size_ = 0;
};

uint64_t hash64(const void* data, size_t size, uint64_t seed = 0) noexcept;
inline uint64_t hash64(std::string_view text, uint64_t seed = 0) noexcept {
  return hash64(text.data(), text.size(), seed);
}
// 16 lower-case hex digits.
std::string hash64_hex(std::string_view text);

}  // namespace weir
