#include "core/rag/search.hpp"

#include <algorithm>
#include <cstring>
#include <future>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "core/number_text.hpp"
#include "core/rag/index_sync.hpp"
#include "core/rag/lexical_retriever.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
// Below this many tagged documents, dense search scans them exactly instead of
// over-fetching from HNSW and filtering (hnswlib 0.6.2 has no filter API).
constexpr int64_t kExactScanLimit = 5000;
constexpr int kReferencesPerMatch = 20;

float dot(const float* left, const float* right, size_t size) {
  float total = 0;
  for (size_t index = 0; index < size; ++index) total += left[index] * right[index];
  return total;
}
// Dense candidates for one query vector: an exact scan of a small tagged set,
// else HNSW (over-fetching when a tag filter must be applied afterwards).
std::vector<DenseCandidate> dense_candidates(
    const VectorIndex& index, const std::vector<float>& query_vector,
    const std::optional<std::vector<std::pair<int64_t, std::vector<float>>>>& tagged_vectors,
    const std::unordered_set<int64_t>& tagged_ids, bool filtered, size_t dimension) {
  std::vector<DenseCandidate> candidates;
  if (tagged_vectors) {
    for (const auto& [id, vector] : *tagged_vectors)
      candidates.push_back({id, dot(query_vector.data(), vector.data(), dimension)});
    auto keep = std::min(candidates.size(), kCandidatesPerRetriever);
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                      [](const auto& left, const auto& right) { return left.similarity > right.similarity; });
    candidates.resize(keep);
    return candidates;
  }
  size_t fetch = filtered ? kCandidatesPerRetriever * 10 : kCandidatesPerRetriever;
  // A breadth well above the candidate count: at ef = k the local
  // embedder's neighbours are found too approximately (bench/retrieval).
  for (const auto& hit : index.search(query_vector.data(), fetch, std::max<size_t>(fetch * 4, 400))) {
    if (filtered && !tagged_ids.count(hit.label)) continue;
    candidates.push_back({hit.label, hit.similarity});
    if (candidates.size() == kCandidatesPerRetriever) break;
  }
  return candidates;
}
}  // namespace

struct Searcher::OpenCollection {
  Collection collection;
  std::unique_ptr<VectorIndex> index;
  std::unique_ptr<Embedder> embedder;
};

nlohmann::json SearchHit::to_json() const {
  nlohmann::json object = {{"collection", collection},
                           {"docid", document.docid},
                           {"ref", document.ref ? nlohmann::json(*document.ref) : nlohmann::json(nullptr)},
                           {"tags", document.tags},
                           {"meta", document.meta},
                           {"text", document.text},
                           {"score", score}};
  if (!reference_of.empty()) object["reference_of"] = reference_of;
  return object;
}

Retrieval parse_retrieval(std::string_view text) {
  if (text == "hybrid") return Retrieval::hybrid;
  if (text == "lexical") return Retrieval::lexical;
  if (text == "dense") return Retrieval::dense;
  throw Error(ErrorKind::usage, "unknown search mode '" + std::string(text) + "'; use hybrid, lexical or dense");
}

std::vector<std::string> split_collection_names(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

void validate_search_request(const SearchRequest& request) {
  if (request.collections.empty()) throw Error(ErrorKind::usage, "name at least one collection to search");
  // Not check_search_terms: the engine searches with a whole user message
  // (or a window of them), which may be long; the term limits bind the
  // callers that write terms (search command, HTTP route, search tools).
  if (request.terms.empty()) throw Error(ErrorKind::usage, "give at least one search term");
  for (const auto& term : request.terms)
    if (term.find_first_not_of(" \t\r\n") == std::string::npos)
      throw Error(ErrorKind::usage, "a search term is empty");
  if (request.top < 1 || request.top > 128)
    throw Error(ErrorKind::usage, "--top must be from 1 to 128, got " + std::to_string(request.top));
  if (!(request.min_score >= 0.01 && request.min_score <= 0.99))
    throw Error(ErrorKind::usage, "--min-score must be from 0.01 to 0.99, got " + number_text(request.min_score));
}

Searcher::Searcher(Database& database, std::string indexes_directory)
    : database_(database), indexes_directory_(std::move(indexes_directory)) {}

Searcher::~Searcher() = default;

Searcher::OpenCollection& Searcher::open(const std::string& name_or_id) {
  auto collection = CollectionRepository(database_).get(name_or_id);
  auto& slot = open_[collection.id];
  if (!slot) {
    slot = std::make_unique<OpenCollection>();
    slot->collection = collection;
    slot->embedder = make_embedder(collection.embedder, collection.dimension, database_);
  }
  CollectionRepository(database_).refresh(collection);
  if (!slot->index || slot->index->generation() != collection.generation) {
    slot->collection = collection;
    slot->index = open_current_index(database_, slot->collection, indexes_directory_).index;
  }
  return *slot;
}

std::vector<SearchHit> Searcher::search(const SearchRequest& request, const CancelToken& cancel) {
  validate_search_request(request);
  std::lock_guard lock(mutex_);
  struct Best {
    double score;
    std::string collection;
    std::string collection_id;
  };
  std::unordered_map<int64_t, Best> best;
  std::unordered_map<int64_t, std::string> texts_storage;

  for (const auto& name : request.collections) {
    auto& opened = open(name);
    const auto& collection = opened.collection;
    const auto dimension = static_cast<size_t>(collection.dimension);

    // Tag filter: the set of allowed documents, when it is small enough to scan.
    std::optional<std::vector<std::pair<int64_t, std::vector<float>>>> tagged_vectors;
    std::unordered_set<int64_t> tagged_ids;
    if (!request.tags.empty()) {
      auto count_query = database_.prepare("SELECT count(*) FROM documents d WHERE d.collection_id = ?1" +
                                           tag_condition_sql(request.tags.size(), 2));
      count_query.bind(1, collection.id);
      for (size_t index = 0; index < request.tags.size(); ++index)
        count_query.bind(static_cast<int>(index) + 2, request.tags[index]);
      count_query.step();
      bool exact = count_query.integer(0) <= kExactScanLimit;
      auto rows = database_.prepare("SELECT d.id, d.vector FROM documents d WHERE d.collection_id = ?1" +
                                    tag_condition_sql(request.tags.size(), 2));
      rows.bind(1, collection.id);
      for (size_t index = 0; index < request.tags.size(); ++index)
        rows.bind(static_cast<int>(index) + 2, request.tags[index]);
      if (exact) tagged_vectors.emplace();
      while (rows.step()) {
        tagged_ids.insert(rows.integer(0));
        if (!exact) continue;
        auto [data, size] = rows.blob(1);
        if (size != dimension * sizeof(float)) continue;
        std::vector<float> vector(dimension);
        std::memcpy(vector.data(), data, size);
        tagged_vectors->emplace_back(rows.integer(0), std::move(vector));
      }
    }

    auto query_vectors = request.retrieval == Retrieval::lexical
                             ? std::vector<std::vector<float>>(request.terms.size())
                             : opened.embedder->embed(request.terms, EmbeddingRole::query, cancel);
    for (size_t term_index = 0; term_index < request.terms.size(); ++term_index) {
      if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
      const auto& term = request.terms[term_index];
      FusionInput input;
      input.query = term;

      // The two retrievers share nothing (the index is read-only here and
      // only the lexical one uses the database), so a hybrid search runs the
      // dense one on a second thread: its ~1 ms at 100k chunks hides behind
      // the lexical one instead of adding to it.
      auto find_dense = [&] {
        return dense_candidates(*opened.index, query_vectors[term_index], tagged_vectors, tagged_ids,
                                !request.tags.empty(), dimension);
      };
      std::future<std::vector<DenseCandidate>> dense;
      if (request.retrieval == Retrieval::hybrid) dense = std::async(std::launch::async, find_dense);
      if (request.retrieval != Retrieval::dense) {
        LexicalQuery lexical{collection.id, term, request.tags};
        lexical.collection_documents = static_cast<int64_t>(opened.index->live_count());
        lexical.common_terms = &common_terms_;
        input.lexical = lexical_candidates(database_, lexical);
      }
      if (dense.valid())
        input.dense = dense.get();
      else if (request.retrieval == Retrieval::dense)
        input.dense = find_dense();

      std::vector<std::pair<int64_t, std::string_view>> texts;
      if (request.reranker == Reranker::lexical) {
        // The lexical reranker reads only the best few by the `none` score.
        std::vector<int64_t> ids;
        for (const auto& hit : fuse(input, Reranker::none)) {
          if (ids.size() == kLexicalRerankDepth) break;
          ids.push_back(hit.document);
        }
        for (auto& document : DocumentRepository(database_).by_ids(ids))
          texts_storage[document.id] = std::move(document.text);
        for (auto id : ids)
          if (auto found = texts_storage.find(id); found != texts_storage.end()) texts.emplace_back(id, found->second);
        input.texts = &texts;
      }

      for (const auto& hit : fuse(input, request.reranker)) {
        Best candidate{hit.score, collection.name, collection.id};
        auto [slot, inserted] = best.try_emplace(hit.document, candidate);
        if (!inserted && hit.score > slot->second.score) slot->second = candidate;
      }
    }
  }

  std::vector<std::pair<int64_t, Best>> ranked(best.begin(), best.end());
  ranked.erase(std::remove_if(ranked.begin(), ranked.end(),
                              [&](const auto& entry) { return entry.second.score < request.min_score; }),
               ranked.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& left, const auto& right) {
    return left.second.score != right.second.score ? left.second.score > right.second.score : left.first < right.first;
  });
  if (ranked.size() > static_cast<size_t>(request.top)) ranked.resize(static_cast<size_t>(request.top));

  std::vector<int64_t> ids;
  for (const auto& entry : ranked) ids.push_back(entry.first);
  std::unordered_map<int64_t, Document> documents;
  for (auto& document : DocumentRepository(database_).by_ids(ids)) documents.emplace(document.id, std::move(document));

  std::vector<SearchHit> hits;
  std::vector<std::string> collection_ids;  // parallel to hits
  std::unordered_set<int64_t> shown;
  for (const auto& [id, entry] : ranked) {
    auto found = documents.find(id);
    if (found == documents.end()) continue;  // deleted since it was found
    shown.insert(id);
    hits.push_back({entry.collection, found->second, entry.score, {}});
    collection_ids.push_back(entry.collection_id);
  }
  if (request.include_references) {
    std::vector<SearchHit> with_references;
    for (size_t index = 0; index < hits.size(); ++index) {
      const auto& hit = hits[index];
      with_references.push_back(hit);
      if (!hit.document.ref) continue;
      for (auto& reference :
           DocumentRepository(database_).by_ref(collection_ids[index], *hit.document.ref, kReferencesPerMatch)) {
        if (!shown.insert(reference.id).second) continue;
        with_references.push_back({hit.collection, std::move(reference), hit.score, hit.document.docid});
      }
    }
    hits = std::move(with_references);
  }
  return hits;
}

}  // namespace weir
