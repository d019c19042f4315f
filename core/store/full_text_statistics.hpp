// Full-text statistics — what the store's FTS5 index says about itself, read
// without scanning it.
//
// FTS5 keeps the number of rows it indexes in its "averages" record (row 1 of
// documents_fts_data: a varint row count, then a varint token total per
// column), so the store's size is one lookup rather than a count over 100k
// rows (1.5 ms); the count is the fallback should the record ever be absent
// or unreadable. The record itself is returned too: it changes whenever the
// indexed text does (CommonTermCache relies on that). Row 10 describes the
// index's segments, including a count of the writes flushed into them, so it
// differs after every write; weir_bm25() is told a hash of it, so that the
// row lengths it remembers never outlive a change.
#pragma once

#include <cstdint>
#include <string>

namespace weir {

class Database;

struct FullTextStatistics {
  int64_t documents = -1;        // rows in the full-text index, all collections
  std::string averages;          // the averages record as stored
  int64_t structure_version = 0;  // a non-negative hash of the segment structure
};

FullTextStatistics full_text_statistics(Database& database);

}  // namespace weir
