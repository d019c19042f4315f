// Searcher — hybrid search over one or more collections.
//
// For every (collection, term) pair it gathers BM25 candidates from FTS5 and
// dense candidates from the collection's HNSW index, fuses them (fusion.hpp)
// and keeps, for each document, its best score over all pairs: several terms
// or collections give one list ranked by each document's best match. Then
// min_score and top apply; with include_references, the other documents
// sharing a result's ref are appended after it (marked as references).
//
// A Searcher caches opened indexes and embedders, so a long-running server
// pays for loading an index once; every search still checks the collection's
// generation (one small query) and catches up if an import has run since.
// Thread-safe by taking turns: search() holds a lock, so one Searcher (with
// its own Database connection) can serve every thread of a server.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "core/rag/embedder.hpp"
#include "core/rag/fusion.hpp"
#include "core/rag/lexical_retriever.hpp"
#include "core/rag/vector_index.hpp"
#include "core/store/document_repository.hpp"

namespace weir {

// Which retrievers run: both (hybrid, the default) or one of them alone.
enum class Retrieval { hybrid, lexical, dense };
Retrieval parse_retrieval(std::string_view text);  // Error(usage) naming the values

struct SearchRequest {
  std::vector<std::string> collections;  // names or ids
  std::vector<std::string> terms;
  int top = 5;              // 1..128
  double min_score = 0.2;   // 0.01..0.99
  // The measured best on SciFact test (bench/retrieval): lexical 0.699
  // nDCG@10, none 0.686, rrf 0.678 against BM25 alone 0.675.
  Reranker reranker = Reranker::lexical;
  Retrieval retrieval = Retrieval::hybrid;
  bool include_references = false;
  std::vector<std::string> tags;  // a result must carry every one of them
};

struct SearchHit {
  std::string collection;
  Document document;
  double score = 0;            // see FusedHit::score; a reference carries its match's score
  std::string reference_of;    // docid of the match this document was added for, if any
  nlohmann::json to_json() const;
};

// "docs,faq" -> {"docs", "faq"}: how a list of collections is written on the
// command line and in a search request (empty parts are skipped).
std::vector<std::string> split_collection_names(const std::string& text);

// Throws Error(usage) for out-of-range parameters, naming the parameter.
void validate_search_request(const SearchRequest& request);

class Searcher {
 public:
  Searcher(Database& database, std::string indexes_directory);
  ~Searcher();

  std::vector<SearchHit> search(const SearchRequest& request, const CancelToken& cancel);

 private:
  struct OpenCollection;
  OpenCollection& open(const std::string& name_or_id);
  Database& database_;
  std::string indexes_directory_;
  std::mutex mutex_;
  CommonTermCache common_terms_;
  std::map<std::string, std::unique_ptr<OpenCollection>> open_;
};

}  // namespace weir
