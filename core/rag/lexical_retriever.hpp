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
//
// The full-text index is one for the whole store, so matches must be kept
// to the collection. Joining every match to its document row costs a row
// read per match, two thirds of a 100k query. When the caller says how big
// the collection is and it is a large enough share of the store, the best
// matches of the whole store are ranked first and only those rows are read
// (falling back to the join when too few of them are the collection's).
// At 100k chunks (bench/index, one collection) the lexical median went
// 7.0 -> 4.9 ms with this and -> 4.1 ms with CommonTermCache below.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/rag/fusion.hpp"

namespace weir {

class Database;

inline constexpr double kCommonTermShare = 0.10;
inline constexpr int64_t kCommonTermFloor = 500;
inline constexpr int64_t kCommonTermCeiling = 5000;

// Which query words were found common, remembered across searches (a
// Searcher keeps one): probing a word costs up to a few thousand FTS5 steps,
// and queries share words. The verdicts hold for the full-text statistics
// they were made under; lexical_candidates() starts over whenever the
// indexed text or the threshold has changed since. Not thread-safe.
struct CommonTermCache {
  std::string statistics;  // FTS5's row and token totals the verdicts hold for
  int64_t threshold = 0;
  std::unordered_map<std::string, bool> common;  // phrase -> in more than `threshold` documents
};

struct LexicalQuery {
  std::string collection_id;
  std::string text;               // what the user typed
  std::vector<std::string> tags;  // a candidate must carry every one
  size_t limit = kCandidatesPerRetriever;
  // Above this many documents a word is common; 0 derives it from the store
  // as described above (tests set it).
  int64_t common_term_documents = 0;
  // The collection's document count, when the caller knows it cheaply; -1
  // always joins matches to their rows. Only speed depends on it.
  int64_t collection_documents = -1;
  // Where to remember common words across calls; null probes every time.
  CommonTermCache* common_terms = nullptr;
};

// The best `limit` candidates by BM25 (higher is better), best first. Empty
// when the text has no words.
std::vector<LexicalCandidate> lexical_candidates(Database& database, const LexicalQuery& query);

}  // namespace weir
