#include "core/store/full_text_statistics.hpp"

#include <optional>
#include <string_view>

#include "core/hash.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
std::optional<int64_t> leading_varint(const unsigned char* bytes, size_t size) {
  // SQLite's varint: big-endian 7-bit groups while the top bit is set; a
  // ninth byte, if reached, gives all 8 bits.
  uint64_t value = 0;
  for (size_t index = 0; index < size && index < 9; ++index) {
    if (index == 8) return static_cast<int64_t>((value << 8) | bytes[index]);
    value = (value << 7) | (bytes[index] & 0x7F);
    if ((bytes[index] & 0x80) == 0) return static_cast<int64_t>(value);
  }
  return std::nullopt;
}

}  // namespace

FullTextStatistics full_text_statistics(Database& database) {
  FullTextStatistics statistics;
  auto records = database.prepare("SELECT id, block FROM documents_fts_data WHERE id IN (1, 10)");
  while (records.step()) {
    auto [data, size] = records.blob(1);
    const auto* bytes = static_cast<const unsigned char*>(data);
    if (records.integer(0) == 1) {
      statistics.averages.assign(static_cast<const char*>(data), size);
      statistics.documents = leading_varint(bytes, size).value_or(-1);
    } else {
      statistics.structure_version =
          static_cast<int64_t>(hash64(std::string_view(static_cast<const char*>(data), size)) >> 1);
    }
  }
  if (statistics.documents < 0) {
    auto count = database.prepare("SELECT count(*) FROM documents_fts_docsize");
    count.step();
    statistics.documents = count.integer(0);
  }
  return statistics;
}

}  // namespace weir
