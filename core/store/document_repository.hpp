// DocumentRepository — the documents of collections, as SQLite holds them.
//
// Documents are upserted by (collection, docid). Vectors are stored as
// little-endian float32 BLOBs. A deletion leaves a tombstone carrying the
// collection generation so a stale HNSW index can replay it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"

namespace weir {

class Database;

struct Document {
  int64_t id = 0;
  std::string docid;
  std::string text;
  std::optional<std::string> ref;
  nlohmann::json tags = nlohmann::json::array();
  nlohmann::json meta = nlohmann::json::object();
  std::string content_hash;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  nlohmann::json to_json(const std::string& collection_name) const;
};

// An SQL condition (starting with " AND") that keeps the documents, aliased
// `d`, carrying every one of `tag_count` tags bound from ?first_parameter on.
std::string tag_condition_sql(size_t tag_count, int first_parameter);

struct DocumentFilter {
  std::string tag;
  std::string ref;
  std::string content;  // substring of the text
  std::string docid;    // substring of the docid
  bool sort_by_updated = false;
  bool descending = true;
  int limit = 100;
  int offset = 0;
};

struct DocumentInsert {
  const Document& document;
  const std::vector<float>& vector;
};

class DocumentRepository {
 public:
  explicit DocumentRepository(Database& database) : database_(database) {}

  std::optional<Document> find(const Collection& collection, const std::string& docid);
  Document get(const Collection& collection, const std::string& docid);  // Error(not_found)
  std::vector<Document> list(const Collection& collection, const DocumentFilter& filter);
  // The documents among `docids` that exist, by docid, in one query.
  std::unordered_map<std::string, Document> find_many(const Collection& collection,
                                                      const std::vector<std::string>& docids);
  // Documents by id, in one query; missing ids are skipped.
  std::vector<Document> by_ids(const std::vector<int64_t>& ids);
  // Other documents of the collection sharing `ref`.
  std::vector<Document> by_ref(const std::string& collection_id, const std::string& ref, int limit);

  // Writes; call inside a transaction that also took the generation.
  //
  // Inserts documents whose docids are not in the collection yet, with their
  // vectors, and indexes their text for full-text search in one statement at
  // the end: FTS5 writes its pending terms to disk at the end of every
  // statement that touches it, so indexing row by row (as a trigger would)
  // made a 100k import spend a third of its time merging tiny segments.
  // Returns the new ids, in order.
  std::vector<int64_t> insert_many(const Collection& collection, const std::vector<DocumentInsert>& inserts,
                                   int64_t generation);
  int64_t insert(const Collection& collection, const Document& document, const std::vector<float>& vector,
                 int64_t generation);
  void replace_text(int64_t id, const Document& document, const std::vector<float>& vector, int64_t generation);
  void replace_metadata(int64_t id, const Document& document);
  // False if absent. Leaves a tombstone at `generation`.
  bool remove(const Collection& collection, const std::string& docid, int64_t generation);

 private:
  Database& database_;
};

}  // namespace weir
