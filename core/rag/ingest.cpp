#include "core/rag/ingest.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/hash.hpp"
#include "core/rag/document_writer.hpp"
#include "core/rag/embedder.hpp"
#include "core/rag/index_follower.hpp"
#include "core/rag/index_sync.hpp"
#include "core/store/database.hpp"
#include "core/store/document_repository.hpp"
#include "core/store/full_text_statistics.hpp"
#include "core/utf8.hpp"

namespace fs = std::filesystem;

namespace weir {

namespace {

const std::vector<std::string> kDefaultIncludes = {"*.md", "*.markdown", "*.mdx", "*.txt", "*.text",
                                                   "*.rst", "*.adoc", "*.org"};

bool matches_any(const std::vector<std::string>& globs, const std::string& path) {
  auto name = fs::path(path).filename().string();
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
    return fnmatch(glob.c_str(), path.c_str(), 0) == 0 || fnmatch(glob.c_str(), name.c_str(), 0) == 0;
  });
}

void sync_index(Database& database, const Paths& paths, Collection& collection) {
  open_current_index(database, collection, paths.indexes);
}

// FTS5 writes a segment per batch and merges them only gradually, and a query
// looks each term up in every segment: after a 100k-chunk import, merging
// them all into one ("optimize", 0.7 s) halved the time of a lexical search.
// Optimising rewrites the store's whole full-text index, so it only runs
// after a write of at least a quarter of the store: its cost stays in
// proportion to what was written, however often small imports come.
void settle_full_text(Database& database, const WriteCounts& counts) {
  auto written = counts.added + counts.updated;
  if (written == 0) return;
  if (written * 4 < full_text_statistics(database).documents) return;
  database.transaction([&] { database.execute("INSERT INTO documents_fts(documents_fts) VALUES('optimize')"); });
}

struct Source {
  std::string content_hash;
  int64_t chunks = 0;
};

std::optional<Source> find_source(Database& database, const Collection& collection, const std::string& path) {
  auto query = database.prepare("SELECT content_hash, chunks FROM sources WHERE collection_id = ?1 AND path = ?2");
  query.bind(1, collection.id).bind(2, path);
  if (!query.step()) return std::nullopt;
  return Source{query.text(0), query.integer(1)};
}

void save_source(Database& database, const Collection& collection, const std::string& path, const Source& source) {
  database
      .prepare("INSERT INTO sources(collection_id, path, content_hash, chunks, updated_at) VALUES(?1, ?2, ?3, ?4, ?5) "
               "ON CONFLICT(collection_id, path) DO UPDATE SET content_hash = excluded.content_hash, "
               "chunks = excluded.chunks, updated_at = excluded.updated_at")
      .bind(1, collection.id)
      .bind(2, path)
      .bind(3, source.content_hash)
      .bind(4, source.chunks)
      .bind(5, now_milliseconds())
      .run();
}

std::string chunk_docid(const std::string& path, int64_t index) { return path + "#" + std::to_string(index); }

// A file's identity: its canonical path (absolute, "..", "." and symlinks
// resolved), whatever directory weir runs from and however the path was typed.
std::string file_identity(const fs::path& path) {
  std::error_code error;
  auto canonical = fs::weakly_canonical(fs::absolute(path, error), error);
  if (error) return fs::absolute(path).lexically_normal().string();
  return canonical.string();
}

// A ref holds at most 64 characters: a longer path keeps its end (the file's
// name and the directories nearest it) behind a visible "…".
std::string file_ref(const std::string& path) {
  constexpr size_t kMostCodePoints = 64;
  size_t code_points = 0;
  for (char byte : path) code_points += (static_cast<unsigned char>(byte) & 0xC0) != 0x80;
  if (code_points <= kMostCodePoints) return path;
  size_t keep = kMostCodePoints - 1, start = path.size();
  while (start > 0 && keep > 0) {
    --start;
    if ((static_cast<unsigned char>(path[start]) & 0xC0) != 0x80) --keep;
  }
  auto tail = path.substr(start);
  // Start at a directory boundary when one is near, so no name is cut.
  if (auto slash = tail.find('/'); slash != std::string::npos && slash < 24) tail = tail.substr(slash);
  return "…" + tail;
}

// Stores from before canonical identities keyed a file by its path as typed
// (`docs/a.md`). When the same typed path comes again, its documents take the
// canonical docids in place (no re-embedding); when the canonical ones exist
// already (the file was added both ways), the typed-path copies go.
void adopt_typed_path(Database& database, DocumentWriter& writer, const Collection& collection,
                      const std::string& typed, const std::string& identity, bool identity_known) {
  auto legacy = find_source(database, collection, typed);
  if (!legacy) return;
  if (identity_known) {
    for (int64_t index = 0; index < legacy->chunks; ++index) writer.remove(chunk_docid(typed, index));
    writer.flush();
  } else {
    database.transaction([&] {
      for (int64_t index = 0; index < legacy->chunks; ++index)
        database
            .prepare("UPDATE documents SET docid = ?3, ref = ?4, meta = json_set(meta, '$.path', ?5), updated_at = ?6 "
                     "WHERE collection_id = ?1 AND docid = ?2")
            .bind(1, collection.id)
            .bind(2, chunk_docid(typed, index))
            .bind(3, chunk_docid(identity, index))
            .bind(4, file_ref(identity))
            .bind(5, identity)
            .bind(6, now_milliseconds())
            .run();
      save_source(database, collection, identity, *legacy);
    });
  }
  database.prepare("DELETE FROM sources WHERE collection_id = ?1 AND path = ?2").bind(1, collection.id).bind(2, typed).run();
}

}  // namespace

ImportReport import_documents(Database& database, const Paths& paths, const std::string& collection_name,
                              std::istream& input, const ImportOptions& options, const CancelToken& cancel) {
  auto collection = CollectionRepository(database).get(collection_name);
  auto embedder = make_embedder(collection.embedder, collection.dimension, database);
  IndexFollower follower(database, paths.indexes, collection);
  auto report = import_jsonl(database, collection, *embedder, input, options, cancel);
  settle_full_text(database, report.counts);
  follower.finish(database);
  return report;
}

nlohmann::json AddReport::to_json() const {
  auto skipped_list = nlohmann::json::array();
  for (const auto& entry : skipped) skipped_list.push_back({{"path", entry.path}, {"reason", entry.reason}});
  return {{"files", files},
          {"files_unchanged", files_unchanged},
          {"files_removed", files_removed},
          {"added", counts.added},
          {"updated", counts.updated},
          {"meta_only", counts.meta_only},
          {"unchanged", counts.unchanged},
          {"deleted", counts.deleted},
          {"skipped", skipped_list},
          {"not_included", not_included}};
}

AddReport add_files(Database& database, const Paths& paths, const std::string& collection_name,
                    const std::vector<std::string>& inputs, const AddOptions& options, const CancelToken& cancel) {
  auto collection = CollectionRepository(database).get(collection_name);
  auto embedder = make_embedder(collection.embedder, collection.dimension, database);
  DocumentWriter writer(database, collection, *embedder, cancel);
  IndexFollower follower(database, paths.indexes, collection);
  AddReport report;
  const auto& includes = options.include.empty() ? kDefaultIncludes : options.include;

  // `typed` is the path as the old scheme named it (adopt_typed_path).
  auto add_one = [&](const std::string& path, const std::string& typed) {
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      report.skipped.push_back({path, "cannot be read"});
      return;
    }
    std::stringstream buffer;
    buffer << file.rdbuf();
    auto text = buffer.str();
    if (text.find('\0') != std::string::npos) {
      report.skipped.push_back({path, "binary (contains NUL bytes); only text is chunked"});
      return;
    }
    if (!valid_utf8(text)) {
      report.skipped.push_back({path, "not valid UTF-8; convert it first (iconv -t UTF-8)"});
      return;
    }
    auto previous = find_source(database, collection, path);
    if (typed != path) {
      adopt_typed_path(database, writer, collection, typed, path, previous.has_value());
      if (!previous) previous = find_source(database, collection, path);
    }
    Source source{hash64_hex(text), 0};
    if (previous && previous->content_hash == source.content_hash) {
      ++report.files_unchanged;
      // Unchanged text, but --tag asks for tags: the chunks take them (meta only).
      int64_t retagged = 0;
      if (!options.tags.empty()) {
        nlohmann::json tags = options.tags;
        std::vector<std::string> chunk_ids;
        for (int64_t index = 0; index < previous->chunks; ++index) chunk_ids.push_back(chunk_docid(path, index));
        for (auto& [docid, document] : DocumentRepository(database).find_many(collection, chunk_ids)) {
          if (document.tags == tags) continue;
          document.tags = tags;
          writer.upsert(std::move(document));
          ++retagged;
        }
        writer.flush();
      }
      report.counts.unchanged += previous->chunks - retagged;
      return;
    }
    auto chunking = options.chunking;
    auto extension = fs::path(path).extension().string();
    chunking.markdown = extension == ".md" || extension == ".markdown" || extension == ".mdx";
    auto chunks = chunk_text(text, chunking);
    for (size_t index = 0; index < chunks.size(); ++index) {
      Document document;
      document.docid = chunk_docid(path, static_cast<int64_t>(index));
      document.text = std::move(chunks[index].text);
      document.ref = file_ref(path);
      document.tags = options.tags;
      document.meta = {{"path", path}, {"chunk", index}};
      if (!chunks[index].heading.empty()) document.meta["heading"] = chunks[index].heading;
      writer.upsert(std::move(document));
    }
    source.chunks = static_cast<int64_t>(chunks.size());
    for (int64_t stale = source.chunks; previous && stale < previous->chunks; ++stale)
      writer.remove(chunk_docid(path, stale));
    writer.flush();
    save_source(database, collection, path, source);
    ++report.files;
  };

  // First every input is listed (so a mistyped path fails before anything
  // is written, and progress knows the total), then the files are added.
  struct Listed {
    std::vector<std::pair<std::string, std::string>> files;  // identity, typed path
    bool directory = false;
    fs::path root;  // a directory's identity
  };
  std::vector<Listed> listed;
  int64_t total = 0;
  for (const auto& input : inputs) {
    std::error_code error;
    auto status = fs::status(input, error);
    if (error || !fs::exists(status))
      throw Error(ErrorKind::usage, "no such file or directory: " + input);
    Listed entry;
    if (fs::is_regular_file(status)) {
      entry.files.emplace_back(file_identity(input), fs::path(input).lexically_normal().string());
    } else if (!fs::is_directory(status)) {
      report.skipped.push_back({input, "not a regular file or directory"});
      continue;
    } else {
      entry.directory = true;
      auto typed_root = fs::path(input).lexically_normal();
      entry.root = fs::path(file_identity(input));
      std::set<std::string> seen;
      std::vector<std::pair<std::string, std::string>> files;
      for (auto it = fs::recursive_directory_iterator(typed_root, fs::directory_options::skip_permission_denied, error);
           it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (error) break;
        auto name = it->path().filename().string();
        if (it->is_directory() && !name.empty() && name[0] == '.') {  // .git and friends
          it.disable_recursion_pending();
          continue;
        }
        if (!it->is_regular_file()) continue;
        auto relative = it->path().lexically_relative(typed_root).string();
        if (matches_any(options.exclude, relative)) continue;
        if (!matches_any(includes, relative)) {
          report.not_included.push_back(file_identity(it->path()));
          continue;
        }
        files.emplace_back(file_identity(it->path()), it->path().lexically_normal().string());
      }
      std::sort(files.begin(), files.end());
      for (auto& file : files)
        if (seen.insert(file.first).second) entry.files.push_back(std::move(file));  // a symlink: one file, two names
    }
    total += static_cast<int64_t>(entry.files.size());
    listed.push_back(std::move(entry));
  }

  int64_t done = 0;
  for (const auto& entry : listed) {
    std::set<std::string> seen;
    for (const auto& [path, typed] : entry.files) {
      if (options.on_progress) options.on_progress({done, total, path});
      add_one(path, typed);
      seen.insert(path);
      ++done;
    }
    if (!entry.directory) continue;
    // Files that were added from this directory before and are gone now.
    std::error_code error;
    const auto& root = entry.root;
    auto prefix = root.string();
    if (prefix.empty() || prefix.back() != '/') prefix += '/';
    std::vector<std::pair<std::string, int64_t>> vanished;
    auto known = database.prepare(
        "SELECT path, chunks FROM sources WHERE collection_id = ?1 AND substr(path, 1, length(?2)) = ?2");
    known.bind(1, collection.id).bind(2, prefix);
    while (known.step())
      if (!seen.count(known.text(0))) vanished.emplace_back(known.text(0), known.integer(1));
    for (const auto& [path, chunks] : vanished) {
      if (!matches_any(includes, fs::path(path).lexically_relative(root).string())) continue;
      if (fs::exists(path, error)) continue;  // still there, only outside this walk (excluded, a hidden directory)
      for (int64_t index = 0; index < chunks; ++index) writer.remove(chunk_docid(path, index));
      database.prepare("DELETE FROM sources WHERE collection_id = ?1 AND path = ?2")
          .bind(1, collection.id)
          .bind(2, path)
          .run();
      ++report.files_removed;
    }
  }
  if (options.on_progress) options.on_progress({done, total, ""});
  writer.flush();
  auto written = writer.counts();
  report.counts.added += written.added;
  report.counts.updated += written.updated;
  report.counts.meta_only += written.meta_only;
  report.counts.unchanged += written.unchanged;
  report.counts.deleted += written.deleted;
  settle_full_text(database, written);
  follower.finish(database);
  return report;
}

WriteCounts upsert_document(Database& database, const Paths& paths, const std::string& collection_name,
                            Document document, const CancelToken& cancel) {
  auto problem = document_problem(document);
  if (!problem.empty()) throw Error(ErrorKind::usage, "document '" + document.docid + "': " + problem);
  auto collection = CollectionRepository(database).get(collection_name);
  auto embedder = make_embedder(collection.embedder, collection.dimension, database);
  DocumentWriter writer(database, collection, *embedder, cancel);
  writer.upsert(std::move(document));
  writer.flush();
  sync_index(database, paths, collection);
  return writer.counts();
}

bool delete_document(Database& database, const Paths& paths, const std::string& collection_name,
                     const std::string& docid) {
  auto collection = CollectionRepository(database).get(collection_name);
  bool removed = false;
  database.transaction([&] {
    DocumentRepository documents(database);
    if (!documents.find(collection, docid)) return;
    removed = documents.remove(collection, docid, CollectionRepository(database).next_generation(collection));
  });
  if (removed) sync_index(database, paths, collection);
  return removed;
}

}  // namespace weir
