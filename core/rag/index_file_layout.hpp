// Index file layout — the byte map of a vector index file, both directions.
//
// Header (native byte order; a file from a machine of the other order fails
// the magic check and is rebuilt):
//   0  magic "weirHNSW"           8 bytes
//   8  format version             u32
//  12  dimension                  u32
//  16  generation                 i64
//  24  element count              u64 (live + deleted)
//  32  deleted count              u64
//  40  payload size               u64
//  48  checksum                   u64: hash64 (core/hash.hpp) of bytes 0..47
//                                 and the payload
// The header is covered by the checksum too: a flipped bit in the generation
// would otherwise make a stale index look current.
//
// Payload: exactly hnswlib 0.6.2's saveIndex() layout (the 13 scalars of
// GraphPrefix, the level-0 block, then per element a u32 byte size and its
// upper-level link lists), so `tail -c +57 FILE` can still be opened by
// hnswlib's own loader when debugging. vector_index.cpp writes and reads it
// itself because saveIndex/loadIndex only take paths and loadIndex trusts its
// input.
//
// The parsers never trust the bytes: each returns nullopt for anything out of
// shape, and nothing here allocates more than the input's size. Whether the
// graph the payload describes is sound is vector_index.cpp's check.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/hash.hpp"

namespace weir {

inline constexpr size_t kIndexHeaderSize = 56;
inline constexpr size_t kGraphPrefixSize = 6 * 8 + 4 + 4 + 3 * 8 + 8 + 8;

struct IndexFileHeader {
  uint32_t dimension = 0;
  int64_t generation = 0;
  uint64_t element_count = 0;
  uint64_t deleted_count = 0;
  uint64_t payload_size = 0;
  uint64_t checksum = 0;
};

// The header's bytes, carrying this build's magic and format version.
std::array<unsigned char, kIndexHeaderSize> encode_index_header(const IndexFileHeader& header);
// The header of a file of `file_size` bytes whose vectors should have
// `dimension` components; nullopt for another magic, format version or
// dimension, or a payload size that does not match the file's.
std::optional<IndexFileHeader> parse_index_header(const unsigned char* bytes, int dimension, uint64_t file_size);

// A checksum under way: it has taken the header's first 48 bytes; give it the
// payload's pieces in order, then compare or store finish().
Hash64Stream start_index_checksum(const unsigned char* header_bytes);

// The scalars that open hnswlib's serialisation, in file order.
struct GraphPrefix {
  uint64_t offset_level0, capacity, element_count, size_per_element, label_offset, data_offset;
  int32_t maximum_level;
  uint32_t entry_point;
  uint64_t maximum_links, maximum_links_level0, links_per_node;
  double level_multiplier;
  uint64_t construction_breadth;
};

std::array<unsigned char, kGraphPrefixSize> encode_graph_prefix(const GraphPrefix& prefix);
GraphPrefix parse_graph_prefix(const unsigned char* bytes);

// Appends one element's upper-level record: its size, then `links`.
void append_upper_levels(std::vector<unsigned char>& out, const void* links, uint32_t size);

struct UpperLevels {
  int level;      // the element's top level; 0 when it has no upper lists
  size_t offset;  // where its lists start in the record bytes
};
// The records of `count` elements, which must fill `bytes` exactly; each
// size a multiple of `links_size_per_level` and its level at most
// `maximum_level`. nullopt otherwise.
std::optional<std::vector<UpperLevels>> parse_upper_levels(const std::vector<unsigned char>& bytes, size_t count,
                                                           size_t links_size_per_level, int maximum_level);

}  // namespace weir
