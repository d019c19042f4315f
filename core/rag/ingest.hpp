// Ingest — putting documents into a collection, start to finish.
//
// The front doors call these rather than the pieces: each resolves the
// collection and its embedder, writes through DocumentWriter, and leaves the
// HNSW index current (index_sync.hpp) so the next search opens it as it is.
// Imports and adds build the index alongside their writes (IndexFollower)
// and merge the full-text index's segments after a large write.
//
// add_files() implements `collection add`: text and Markdown files, and
// directories walked recursively with include/exclude globs, chunked
// (chunker.hpp) into documents `PATH#N` with ref = PATH. PATH is the file's
// canonical path, so a file is the same documents however its path was typed
// and wherever weir ran from; a ref over 64 characters keeps the path's end
// behind "…". A file whose content hash is unchanged since the last add is
// not chunked again (but takes --tag's tags); chunks past a file's new chunk
// count are deleted; files that vanished from a walked directory lose their
// chunks. Documents a store added under a typed path (before canonical
// paths) are renamed in place when that typed path is added again.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/rag/chunker.hpp"
#include "core/rag/document_writer.hpp"
#include "core/rag/jsonl_import.hpp"
#include "core/store/paths.hpp"

namespace weir {

class Database;

ImportReport import_documents(Database& database, const Paths& paths, const std::string& collection_name,
                              std::istream& input, const ImportOptions& options, const CancelToken& cancel);

// How far add_files() is: told before each file (`path`) and once at the end
// (done == total, path ""). The total is known before the first file: every
// input is listed first.
struct AddProgress {
  int64_t done = 0;   // files handled so far
  int64_t total = 0;  // files to handle
  std::string path;
};

struct AddOptions {
  ChunkOptions chunking;
  std::vector<std::string> include;  // globs on the path below a walked directory; default: text and Markdown
  std::vector<std::string> exclude;
  std::vector<std::string> tags;     // given to every chunk
  std::function<void(const AddProgress&)> on_progress;
};

struct AddReport {
  WriteCounts counts;
  int64_t files = 0;           // files read and chunked
  int64_t files_unchanged = 0; // skipped by content hash
  int64_t files_removed = 0;   // vanished from a walked directory
  struct Skipped {
    std::string path;
    std::string reason;
  };
  std::vector<Skipped> skipped;  // binary, invalid UTF-8, unreadable
  // Files of walked directories that no --include glob (default: text and
  // Markdown names) takes: not read, listed so the caller can say so.
  std::vector<std::string> not_included;
  nlohmann::json to_json() const;
};

AddReport add_files(Database& database, const Paths& paths, const std::string& collection_name,
                    const std::vector<std::string>& inputs, const AddOptions& options, const CancelToken& cancel);

// Upserts one document (the whole truth about its docid, as in an import) and
// keeps the index current. Throws Error(usage) naming the problem when the
// document breaks a limit (document_problem); the counts say what happened.
WriteCounts upsert_document(Database& database, const Paths& paths, const std::string& collection_name,
                            Document document, const CancelToken& cancel);

// Deletes one document and keeps the index current; false when absent.
bool delete_document(Database& database, const Paths& paths, const std::string& collection_name,
                     const std::string& docid);

}  // namespace weir
