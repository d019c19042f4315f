// JSONL import — `weir collection import C FILE|-`.
//
// One JSON object per line: {docid, text, __ref?, __tags?, __meta?}, upserted
// by docid (document_writer.hpp). The input is streamed and committed in
// batches, so memory stays flat whatever the file size. A bad line (not JSON,
// invalid UTF-8, a missing or oversize field, an unknown key) is reported
// with its line number and reason and the rest lands — unless `strict`, which
// makes the import all or nothing (one transaction, rolled back if any line
// was rejected). Blank lines are skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rag/document_writer.hpp"

namespace weir {

struct ImportReport {
  WriteCounts counts;
  int64_t rejected = 0;
  struct LineError {
    int64_t line;
    std::string reason;
  };
  std::vector<LineError> errors;  // the first 1000; `rejected` counts all
  bool rolled_back = false;       // strict import with rejected lines
  nlohmann::json to_json() const;
};

struct ImportProgress {
  uint64_t bytes_read = 0;
  int64_t documents = 0;  // lines taken as documents (rejected ones not counted)
};

struct ImportOptions {
  bool strict = false;
  // Called after each line and once at the end, with the bytes consumed and
  // the lines taken so far (for a progress bar, which throttles its redraws).
  std::function<void(const ImportProgress&)> on_progress;
};

// Parses one JSONL line (without its newline) into a document, or returns the
// reason it is rejected ("" when accepted). A pure function of the text: it
// reads no store and never throws for bad input (only std::bad_alloc). The
// JSON is read by the one input policy (core/json_input.hpp): nesting over
// kMaxJsonDepth, a number too large for a double, invalid UTF-8 and a key
// given twice reject the line like any other mistake.
std::string parse_document_line(std::string_view line, Document& document);

ImportReport import_jsonl(Database& database, const Collection& collection, Embedder& embedder, std::istream& input,
                          const ImportOptions& options, const CancelToken& cancel);

}  // namespace weir
