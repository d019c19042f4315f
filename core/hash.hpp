// hash64 — a fast, portable, non-cryptographic 64-bit hash.
//
// Used where weir needs the same answer on every machine and run (content
// hashes that decide whether a document must be re-embedded, checksums of
// index files) but not resistance to an adversary. Not std::hash, whose
// values differ between standard libraries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weir {

uint64_t hash64(const void* data, size_t size, uint64_t seed = 0) noexcept;
inline uint64_t hash64(std::string_view text, uint64_t seed = 0) noexcept {
  return hash64(text.data(), text.size(), seed);
}
// 16 lower-case hex digits.
std::string hash64_hex(std::string_view text);

}  // namespace weir
