// Batch import — the items of `weir batch add`, read from a JSONL file, a
// text file, a folder of files or a zip archive.
//
// Modes:
//   lines  each non-blank line of a JSONL file is one item, its JSON value
//          (read under weir's JSON input policy, core/json_input.hpp);
//   text   each non-blank line of a text file is one item, its text;
//   files  a file is one item, its whole text; a folder gives one item per
//          regular file under it (recursively, in path order, hidden ones
//          skipped); a binary file (NUL bytes or not UTF-8) is skipped and
//          named in `skipped`;
//   zip    each text file in a zip archive is one item, its source the path
//          inside the archive (zip_import.hpp: zip bombs and nested archives
//          are refused whole, binary entries skipped).
// The default mode is files for a folder, lines for *.jsonl and *.ndjson,
// zip for *.zip or a file that starts like one, else files.
//
// Limits: an item over kMostBatchItemBytes is rejected with its line or path
// (the others still land, principle 7); an import over kMostBatchImportBytes
// is refused whole (Error(too_large)) before anything is read into items.
// A missing path is Error(not_found); an unknown mode Error(usage).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/store/batch_repository.hpp"

namespace weir {

inline constexpr size_t kMostBatchItemBytes = 10u << 20;
inline constexpr size_t kMostBatchImportBytes = 100u << 20;

struct BatchImport {
  std::vector<BatchInput> inputs;
  struct Rejected {
    std::string where;  // "line 12" or a file path
    std::string reason;
  };
  std::vector<Rejected> rejected;
  std::vector<Rejected> skipped;  // not items by nature (a binary file in an archive), not errors
};

// `mode`: "lines", "text", "files", "zip", or "" for the default.
BatchImport read_batch_inputs(const std::string& path, const std::string& mode);

}  // namespace weir
