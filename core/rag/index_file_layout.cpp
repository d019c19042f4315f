#include "core/rag/index_file_layout.hpp"

#include <cstring>
#include <type_traits>

#include "core/rag/byte_fields.hpp"

namespace weir {

namespace {

constexpr std::array<char, 8> kMagic = {'w', 'e', 'i', 'r', 'H', 'N', 'S', 'W'};
// 2: vectors stored as 8-bit integers (1 held floats).
// 3: the checksum is core/hash's hash64 (2 had one of its own).
constexpr uint32_t kFormatVersion = 3;
constexpr size_t kChecksumOffset = 48;

}  // namespace

std::array<unsigned char, kIndexHeaderSize> encode_index_header(const IndexFileHeader& header) {
  std::array<unsigned char, kIndexHeaderSize> bytes{};
  std::memcpy(bytes.data(), kMagic.data(), kMagic.size());
  write_field(bytes.data() + 8, kFormatVersion);
  write_field(bytes.data() + 12, header.dimension);
  write_field(bytes.data() + 16, header.generation);
  write_field(bytes.data() + 24, header.element_count);
  write_field(bytes.data() + 32, header.deleted_count);
  write_field(bytes.data() + 40, header.payload_size);
  write_field(bytes.data() + kChecksumOffset, header.checksum);
  return bytes;
}

std::optional<IndexFileHeader> parse_index_header(const unsigned char* bytes, int dimension, uint64_t file_size) {
  if (std::memcmp(bytes, kMagic.data(), kMagic.size()) != 0) return std::nullopt;
  if (read_field<uint32_t>(bytes + 8) != kFormatVersion) return std::nullopt;
  if (read_field<uint32_t>(bytes + 12) != static_cast<uint32_t>(dimension)) return std::nullopt;
  IndexFileHeader header;
  header.dimension = static_cast<uint32_t>(dimension);
  header.generation = read_field<int64_t>(bytes + 16);
  header.element_count = read_field<uint64_t>(bytes + 24);
  header.deleted_count = read_field<uint64_t>(bytes + 32);
  header.payload_size = read_field<uint64_t>(bytes + 40);
  header.checksum = read_field<uint64_t>(bytes + kChecksumOffset);
  if (file_size < kIndexHeaderSize || header.payload_size != file_size - kIndexHeaderSize) return std::nullopt;
  return header;
}

Hash64Stream start_index_checksum(const unsigned char* header_bytes) {
  Hash64Stream checksum;
  checksum.update(header_bytes, kChecksumOffset);
  return checksum;
}

std::array<unsigned char, kGraphPrefixSize> encode_graph_prefix(const GraphPrefix& prefix) {
  std::array<unsigned char, kGraphPrefixSize> bytes{};
  unsigned char* cursor = bytes.data();
  auto append = [&cursor](auto value) {
    write_field(cursor, value);
    cursor += sizeof value;
  };
  append(prefix.offset_level0);
  append(prefix.capacity);
  append(prefix.element_count);
  append(prefix.size_per_element);
  append(prefix.label_offset);
  append(prefix.data_offset);
  append(prefix.maximum_level);
  append(prefix.entry_point);
  append(prefix.maximum_links);
  append(prefix.maximum_links_level0);
  append(prefix.links_per_node);
  append(prefix.level_multiplier);
  append(prefix.construction_breadth);
  return bytes;
}

GraphPrefix parse_graph_prefix(const unsigned char* bytes) {
  GraphPrefix prefix;
  auto take = [&bytes](auto& field) {
    field = read_field<std::remove_reference_t<decltype(field)>>(bytes);
    bytes += sizeof field;
  };
  take(prefix.offset_level0);
  take(prefix.capacity);
  take(prefix.element_count);
  take(prefix.size_per_element);
  take(prefix.label_offset);
  take(prefix.data_offset);
  take(prefix.maximum_level);
  take(prefix.entry_point);
  take(prefix.maximum_links);
  take(prefix.maximum_links_level0);
  take(prefix.links_per_node);
  take(prefix.level_multiplier);
  take(prefix.construction_breadth);
  return prefix;
}

void append_upper_levels(std::vector<unsigned char>& out, const void* links, uint32_t size) {
  std::array<unsigned char, sizeof(uint32_t)> size_bytes;
  write_field(size_bytes.data(), size);
  out.insert(out.end(), size_bytes.begin(), size_bytes.end());
  if (size > 0) {
    const auto* link_bytes = static_cast<const unsigned char*>(links);
    out.insert(out.end(), link_bytes, link_bytes + size);
  }
}

std::optional<std::vector<UpperLevels>> parse_upper_levels(const std::vector<unsigned char>& bytes, size_t count,
                                                           size_t links_size_per_level, int maximum_level) {
  std::vector<UpperLevels> elements(count);
  size_t cursor = 0;
  for (size_t element = 0; element < count; ++element) {
    if (bytes.size() - cursor < sizeof(uint32_t)) return std::nullopt;
    uint32_t size = read_field<uint32_t>(bytes.data() + cursor);
    cursor += sizeof(uint32_t);
    if (size % links_size_per_level != 0 || size > bytes.size() - cursor) return std::nullopt;
    auto level = static_cast<int>(size / links_size_per_level);
    if (level > maximum_level) return std::nullopt;
    elements[element] = {level, cursor};
    cursor += size;
  }
  if (cursor != bytes.size()) return std::nullopt;
  return elements;
}

}  // namespace weir
