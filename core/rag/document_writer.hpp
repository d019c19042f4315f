// DocumentWriter — upserts documents into a collection in batches.
//
// The upsert rules of DESIGN.md: a new docid is inserted and embedded; a
// changed text is re-embedded; a change of only ref, tags or meta is written
// without embedding; an identical document is left alone. Each document given
// is the whole truth about that docid (an omitted ref/tags/meta clears it).
//
// Every flush is one transaction that also bumps the collection generation
// when vectors change, so a crash loses at most the batch in flight and the
// HNSW cache can always tell what it is missing. Embedding happens before the
// write lock is taken (a slow remote embedder never blocks other writers);
// the decision is re-checked under the lock so two concurrent imports of the
// same docid still leave one consistent row.
//
// With `in_outer_transaction` the caller owns BEGIN/COMMIT (strict imports:
// all or nothing) and flush() writes without a transaction of its own.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cancellation.hpp"
#include "core/rag/embedder.hpp"
#include "core/store/document_repository.hpp"

namespace weir {

struct WriteCounts {
  int64_t added = 0;
  int64_t updated = 0;    // text changed: re-embedded
  int64_t meta_only = 0;  // only ref/tags/meta changed
  int64_t unchanged = 0;
  int64_t deleted = 0;
  // Documents replaced before they were written by a later one with the same
  // docid in the same batch (the later one wins, as if applied in order).
  int64_t superseded = 0;
};

class DocumentWriter {
 public:
  DocumentWriter(Database& database, const Collection& collection, Embedder& embedder, const CancelToken& cancel,
                 bool in_outer_transaction = false, size_t batch_size = 256);

  // Queues one document (content_hash is computed here); may flush.
  void upsert(Document document);
  // Deletes now (flushing what is queued first, so order is kept).
  bool remove(const std::string& docid);
  void flush();

  const WriteCounts& counts() const noexcept { return counts_; }

 private:
  Database& database_;
  Collection collection_;
  Embedder& embedder_;
  CancelToken cancel_;
  bool in_outer_transaction_;
  size_t batch_size_;
  std::vector<Document> pending_;
  std::unordered_map<std::string, size_t> pending_index_;
  WriteCounts counts_;
};

// Checks a document against the limits of DESIGN.md; returns the reason it
// is rejected, or an empty string. (docid 1..256 characters, ref <= 64,
// non-empty text, tags a list of strings, meta an object.)
std::string document_problem(const Document& document);

}  // namespace weir
