// Lexical retriever — the BM25 half of hybrid search, over SQLite FTS5.
//
// bm25() costs about a microsecond for every document that matches, and an
// OR over a query's words matches every document holding any of them: at
// 100k chunks a word as common as "people" alone is in 30k documents, and a
// SciFact claim's words together cover most of its 5,183 abstracts. So a word
// is left out of the MATCH when the query has rarer words and it is common:
// in more than 10 % of the store's documents, bounded to 500..5,000 (the
// bounds keep small stores exact and big ones fast). The candidates are then
// the documents holding a rarer word, which BM25 ranks first anyway (a common
// word's IDF is small), and the lexical reranker still credits every query
// word in the texts it reads. A query of common words only asks for the
// documents holding all of them. Either way, when that finds nothing in the
// collection, the query is searched whole.
//
// Measured on SciFact train (bench/retrieval --split train): hybrid nDCG@10
// 0.7176 -> 0.7171 and BM25 alone 0.701 -> 0.687, for a lexical median of
// 11.9 -> 4.7 ms; at 100k synthetic chunks 48.6 -> 12.4 ms (bench/index).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rag/fusion.hpp"

namespace weir {

class Database;

inline constexpr double kCommonTermShare = 0.10;
inline constexpr int64_t kCommonTermFloor = 500;
inline constexpr int64_t kCommonTermCeiling = 5000;

struct LexicalQuery {
  std::string collection_id;
  std::string text;               // what the user typed
  std::vector<std::string> tags;  // a candidate must carry every one
  size_t limit = kCandidatesPerRetriever;
  // Above this many documents a word is common; 0 derives it from the store
  // as described above (tests set it).
  int64_t common_term_documents = 0;
};

// The best `limit` candidates by BM25 (higher is better), best first. Empty
// when the text has no words.
std::vector<LexicalCandidate> lexical_candidates(Database& database, const LexicalQuery& query);

}  // namespace weir
