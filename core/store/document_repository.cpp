#include "core/store/document_repository.hpp"

#include <sqlite3.h>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

std::string tag_condition_sql(size_t tag_count, int first_parameter) {
  std::string condition;
  for (size_t index = 0; index < tag_count; ++index)
    condition += " AND EXISTS (SELECT 1 FROM json_each(d.tags) WHERE value = ?" +
                 std::to_string(first_parameter + static_cast<int>(index)) + ")";
  return condition;
}

namespace {
constexpr const char* kColumns =
    "SELECT id, docid, text, ref, tags, meta, content_hash, created_at, updated_at FROM documents ";

Document read_document(Statement& row) {
  Document document;
  document.id = row.integer(0);
  document.docid = row.text(1);
  document.text = row.text(2);
  document.ref = row.optional_text(3);
  document.tags = nlohmann::json::parse(row.text(4), nullptr, false);
  if (!document.tags.is_array()) document.tags = nlohmann::json::array();
  document.meta = nlohmann::json::parse(row.text(5), nullptr, false);
  if (!document.meta.is_object()) document.meta = nlohmann::json::object();
  document.content_hash = row.text(6);
  document.created_at = row.integer(7);
  document.updated_at = row.integer(8);
  return document;
}


std::string escape_like(const std::string& text) {
  std::string escaped;
  for (char character : text) {
    if (character == '%' || character == '_' || character == '\\') escaped.push_back('\\');
    escaped.push_back(character);
  }
  return escaped;
}
}  // namespace

nlohmann::json Document::to_json(const std::string& collection_name) const {
  return {{"collection", collection_name},
          {"docid", docid},
          {"ref", ref ? nlohmann::json(*ref) : nlohmann::json(nullptr)},
          {"tags", tags},
          {"meta", meta},
          {"text", text},
          {"created_at", format_timestamp(created_at)},
          {"updated_at", format_timestamp(updated_at)}};
}

std::optional<Document> DocumentRepository::find(const Collection& collection, const std::string& docid) {
  auto query = database_.prepare(std::string(kColumns) + "WHERE collection_id = ?1 AND docid = ?2");
  query.bind(1, collection.id).bind(2, docid);
  if (!query.step()) return std::nullopt;
  return read_document(query);
}

Document DocumentRepository::get(const Collection& collection, const std::string& docid) {
  if (auto document = find(collection, docid)) return *document;
  throw Error(ErrorKind::not_found, "no document '" + docid + "' in collection '" + collection.name +
                                        "' (`weir doc list " + collection.name + "` shows them)");
}

std::vector<Document> DocumentRepository::list(const Collection& collection, const DocumentFilter& filter) {
  std::string sql = std::string(kColumns) + "WHERE collection_id = ?1";
  if (!filter.tag.empty()) sql += " AND EXISTS (SELECT 1 FROM json_each(documents.tags) WHERE value = ?2)";
  if (!filter.ref.empty()) sql += " AND ref = ?3";
  if (!filter.content.empty()) sql += " AND instr(text, ?4) > 0";
  if (!filter.docid.empty()) sql += " AND docid LIKE '%' || ?5 || '%' ESCAPE '\\'";
  sql += filter.sort_by_updated ? " ORDER BY updated_at" : " ORDER BY created_at";
  sql += filter.descending ? " DESC, id DESC" : ", id";
  sql += " LIMIT ?6 OFFSET ?7";
  auto query = database_.prepare(sql);
  query.bind(1, collection.id);
  if (!filter.tag.empty()) query.bind(2, filter.tag);
  if (!filter.ref.empty()) query.bind(3, filter.ref);
  if (!filter.content.empty()) query.bind(4, filter.content);
  if (!filter.docid.empty()) query.bind(5, escape_like(filter.docid));
  query.bind(6, filter.limit).bind(7, filter.offset);
  std::vector<Document> documents;
  while (query.step()) documents.push_back(read_document(query));
  return documents;
}

std::unordered_map<std::string, Document> DocumentRepository::find_many(const Collection& collection,
                                                                        const std::vector<std::string>& docids) {
  std::unordered_map<std::string, Document> found;
  if (docids.empty()) return found;
  nlohmann::json list = docids;
  auto query = database_.prepare(std::string(kColumns) +
                                 "WHERE collection_id = ?1 AND docid IN (SELECT value FROM json_each(?2))");
  query.bind(1, collection.id).bind(2, list.dump());
  while (query.step()) {
    auto document = read_document(query);
    auto docid = document.docid;
    found.emplace(std::move(docid), std::move(document));
  }
  return found;
}

std::vector<Document> DocumentRepository::by_ids(const std::vector<int64_t>& ids) {
  std::vector<Document> documents;
  if (ids.empty()) return documents;
  nlohmann::json list = ids;
  auto query = database_.prepare(std::string(kColumns) + "WHERE id IN (SELECT value FROM json_each(?1))");
  query.bind(1, list.dump());
  while (query.step()) documents.push_back(read_document(query));
  return documents;
}

std::vector<Document> DocumentRepository::by_ref(const std::string& collection_id, const std::string& ref,
                                                 int limit) {
  auto query = database_.prepare(std::string(kColumns) + "WHERE collection_id = ?1 AND ref = ?2 ORDER BY id LIMIT ?3");
  query.bind(1, collection_id).bind(2, ref).bind(3, limit);
  std::vector<Document> documents;
  while (query.step()) documents.push_back(read_document(query));
  return documents;
}

std::vector<int64_t> DocumentRepository::insert_many(const Collection& collection,
                                                     const std::vector<DocumentInsert>& inserts, int64_t generation) {
  std::vector<int64_t> ids;
  if (inserts.empty()) return ids;
  // The full-text step below counts on no other writer between the rows.
  if (sqlite3_get_autocommit(database_.handle()))
    throw Error(ErrorKind::runtime, "internal error: documents inserted outside a write transaction");
  ids.reserve(inserts.size());
  auto now = now_milliseconds();
  auto statement = database_.prepare(
      "INSERT INTO documents(collection_id, docid, text, ref, tags, meta, content_hash, vector, state, generation, "
      "created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'indexed', ?9, ?10, ?10)");
  for (const auto& [document, vector] : inserts) {
    statement.reset();
    statement.bind(1, collection.id)
        .bind(2, document.docid)
        .bind(3, document.text)
        .bind(4, document.ref)
        .bind(5, document.tags.dump())
        .bind(6, document.meta.dump())
        .bind(7, document.content_hash)
        .bind_blob(8, vector.data(), vector.size() * sizeof(float))
        .bind(9, generation)
        .bind(10, now);
    statement.run();
    ids.push_back(database_.last_insert_rowid());
  }
  // The caller's transaction is the only writer, so every row from the first
  // new id to the last is one of these.
  database_
      .prepare("INSERT INTO documents_fts(rowid, text) SELECT id, text FROM documents WHERE id BETWEEN ?1 AND ?2")
      .bind(1, ids.front())
      .bind(2, ids.back())
      .run();
  return ids;
}

int64_t DocumentRepository::insert(const Collection& collection, const Document& document,
                                   const std::vector<float>& vector, int64_t generation) {
  return insert_many(collection, {{document, vector}}, generation).front();
}

void DocumentRepository::replace_text(int64_t id, const Document& document, const std::vector<float>& vector,
                                      int64_t generation) {
  database_
      .prepare("UPDATE documents SET text = ?2, ref = ?3, tags = ?4, meta = ?5, content_hash = ?6, vector = ?7, "
               "state = 'indexed', generation = ?8, updated_at = ?9 WHERE id = ?1")
      .bind(1, id)
      .bind(2, document.text)
      .bind(3, document.ref)
      .bind(4, document.tags.dump())
      .bind(5, document.meta.dump())
      .bind(6, document.content_hash)
      .bind_blob(7, vector.data(), vector.size() * sizeof(float))
      .bind(8, generation)
      .bind(9, now_milliseconds())
      .run();
}

void DocumentRepository::replace_metadata(int64_t id, const Document& document) {
  database_.prepare("UPDATE documents SET ref = ?2, tags = ?3, meta = ?4, updated_at = ?5 WHERE id = ?1")
      .bind(1, id)
      .bind(2, document.ref)
      .bind(3, document.tags.dump())
      .bind(4, document.meta.dump())
      .bind(5, now_milliseconds())
      .run();
}

bool DocumentRepository::remove(const Collection& collection, const std::string& docid, int64_t generation) {
  auto query = database_.prepare("DELETE FROM documents WHERE collection_id = ?1 AND docid = ?2 RETURNING id");
  query.bind(1, collection.id).bind(2, docid);
  if (!query.step()) return false;
  auto id = query.integer(0);
  query.step();
  database_.prepare("INSERT INTO deleted_documents(document_id, collection_id, generation) VALUES(?1, ?2, ?3)")
      .bind(1, id)
      .bind(2, collection.id)
      .bind(3, generation)
      .run();
  return true;
}

}  // namespace weir
