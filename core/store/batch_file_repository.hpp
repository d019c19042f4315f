// BatchFileRepository — the batch_files table: files uploaded through the
// OpenAI Files API (`POST /v1/files`, purpose "batch") as a batch's input.
// A batch's output and error files are not stored: they are written from its
// items when asked for (core/batch/openai_batch.hpp).
//
// Contract: add() stores the bytes as given and returns the file with a new
// id ("file-" + 32 hex digits); get() of a missing id is Error(not_found).
#pragma once

#include <cstdint>
#include <string>

namespace weir {

class Database;

struct BatchFile {
  std::string id;
  std::string filename;
  std::string purpose;
  int64_t bytes = 0;
  int64_t created_at = 0;  // unix ms
};

class BatchFileRepository {
 public:
  explicit BatchFileRepository(Database& database) : database_(database) {}
  BatchFile add(const std::string& filename, const std::string& purpose, const std::string& content);
  BatchFile get(const std::string& id);
  std::string content(const std::string& id);

 private:
  Database& database_;
};

}  // namespace weir
