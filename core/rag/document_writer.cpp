#include "core/rag/document_writer.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
size_t code_points(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char character) {
    return (static_cast<unsigned char>(character) & 0xC0) != 0x80;
  }));
}

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char character) {
    return character == ' ' || character == '\t' || character == '\n' || character == '\r';
  });
}

enum class Action { insert, replace_text, replace_metadata, none };

Action decide(const std::optional<Document>& existing, const Document& document) {
  if (!existing) return Action::insert;
  if (existing->content_hash != document.content_hash || existing->text != document.text) return Action::replace_text;
  if (existing->ref != document.ref || existing->tags != document.tags || existing->meta != document.meta)
    return Action::replace_metadata;
  return Action::none;
}
}  // namespace

std::string document_problem(const Document& document) {
  if (document.docid.empty()) return "docid is empty";
  if (code_points(document.docid) > 256) return "docid is longer than 256 characters";
  if (document.text.empty() || is_blank(document.text)) return "text is empty";
  if (document.ref && code_points(*document.ref) > 64) return "__ref is longer than 64 characters";
  if (!document.tags.is_array()) return "__tags must be an array of strings";
  for (const auto& tag : document.tags)
    if (!tag.is_string() || tag.get_ref<const std::string&>().empty())
      return "__tags must be an array of non-empty strings";
  if (!document.meta.is_object()) return "__meta must be an object";
  return {};
}

DocumentWriter::DocumentWriter(Database& database, const Collection& collection, Embedder& embedder,
                               const CancelToken& cancel, bool in_outer_transaction, size_t batch_size)
    : database_(database),
      collection_(collection),
      embedder_(embedder),
      cancel_(cancel),
      in_outer_transaction_(in_outer_transaction),
      batch_size_(std::max<size_t>(1, batch_size)) {
  if (embedder.dimension() != collection.dimension)
    throw Error(ErrorKind::usage, "collection '" + collection.name + "' holds " + std::to_string(collection.dimension) +
                                      "-dimension vectors but the embedder gives " +
                                      std::to_string(embedder.dimension()));
}

void DocumentWriter::upsert(Document document) {
  if (auto problem = document_problem(document); !problem.empty()) throw Error(ErrorKind::usage, problem);
  document.content_hash = hash64_hex(document.text);
  // A docid twice in one batch: the later one wins, as if applied in order.
  if (auto found = pending_index_.find(document.docid); found != pending_index_.end()) {
    pending_[found->second] = std::move(document);
    ++counts_.superseded;
    return;
  }
  pending_index_[document.docid] = pending_.size();
  pending_.push_back(std::move(document));
  if (pending_.size() >= batch_size_) flush();
}

bool DocumentWriter::remove(const std::string& docid) {
  flush();
  bool removed = false;
  auto work = [&] {
    CollectionRepository collections(database_);
    DocumentRepository documents(database_);
    if (!documents.find(collection_, docid)) return;
    removed = documents.remove(collection_, docid, collections.next_generation(collection_));
  };
  if (in_outer_transaction_)
    work();
  else
    database_.transaction(work);
  if (removed) ++counts_.deleted;
  return removed;
}

void DocumentWriter::flush() {
  if (pending_.empty()) return;
  if (cancel_.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
  DocumentRepository documents(database_);
  CollectionRepository collections(database_);

  // Decide and embed outside the write lock.
  std::vector<std::string> docids;
  docids.reserve(pending_.size());
  for (const auto& document : pending_) docids.push_back(document.docid);
  auto lookup = [&](const std::unordered_map<std::string, Document>& found, const std::string& docid) {
    auto it = found.find(docid);
    return it == found.end() ? std::optional<Document>() : std::optional<Document>(it->second);
  };
  auto existing = documents.find_many(collection_, docids);
  std::vector<std::string> texts;
  std::vector<size_t> embedded_positions;
  for (size_t index = 0; index < pending_.size(); ++index) {
    auto action = decide(lookup(existing, pending_[index].docid), pending_[index]);
    if (action == Action::insert || action == Action::replace_text) {
      texts.push_back(pending_[index].text);
      embedded_positions.push_back(index);
    }
  }
  std::vector<std::vector<float>> vectors(pending_.size());
  if (!texts.empty()) {
    auto embedded = embedder_.embed(texts, EmbeddingRole::document, cancel_);
    for (size_t index = 0; index < embedded_positions.size(); ++index)
      vectors[embedded_positions[index]] = std::move(embedded[index]);
  }

  WriteCounts batch;
  auto write = [&] {
    batch = WriteCounts{};
    int64_t generation = -1;
    auto vector_generation = [&] {
      if (generation < 0) generation = collections.next_generation(collection_);
      return generation;
    };
    // Re-read under the lock: another writer may have changed these docids.
    auto locked = documents.find_many(collection_, docids);
    // A batch holds each docid once, so new ones can go in together.
    std::vector<DocumentInsert> inserts;
    for (size_t index = 0; index < pending_.size(); ++index) {
      auto& document = pending_[index];
      auto current = lookup(locked, document.docid);
      auto action = decide(current, document);
      if ((action == Action::insert || action == Action::replace_text) && vectors[index].empty())
        vectors[index] = embedder_.embed({document.text}, EmbeddingRole::document, cancel_).front();
      switch (action) {
        case Action::insert:
          inserts.push_back({document, vectors[index]});
          ++batch.added;
          break;
        case Action::replace_text:
          documents.replace_text(current->id, document, vectors[index], vector_generation());
          ++batch.updated;
          break;
        case Action::replace_metadata:
          documents.replace_metadata(current->id, document);
          ++batch.meta_only;
          break;
        case Action::none:
          ++batch.unchanged;
          break;
      }
    }
    if (!inserts.empty()) documents.insert_many(collection_, inserts, vector_generation());
    if (batch.meta_only > 0 && generation < 0) collections.touch(collection_);
  };
  if (in_outer_transaction_)
    write();
  else
    database_.transaction(write);
  counts_.added += batch.added;
  counts_.updated += batch.updated;
  counts_.meta_only += batch.meta_only;
  counts_.unchanged += batch.unchanged;
  pending_.clear();
  pending_index_.clear();
}

}  // namespace weir
