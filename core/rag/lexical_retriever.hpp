// Lexical retriever — the BM25 half of hybrid search, over SQLite FTS5.
//
// bm25() costs about a microsecond for every document that matches, and an
// OR over a query's words matches every document holding any of them: at
// 100k chunks a word as common as "people" alone is 30k documents. So a word
// found in more than kCommonTermDocuments documents of the store is left out
// of the MATCH when the query has rarer words: the candidates are the
// documents holding a rare word, which are the ones BM25 ranks first anyway
// (a common word's IDF is small), and the lexical reranker still credits every query word in the
// texts it reads. A query of common words only asks for documents holding all
// of them, and falls back to any of them when none does. Below
// kCommonTermDocuments documents in all (SciFact's 5,183, say) nothing is ever
// left out, so rankings there are exactly BM25's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rag/fusion.hpp"

namespace weir {

class Database;

inline constexpr int64_t kCommonTermDocuments = 5000;

struct LexicalQuery {
  std::string collection_id;
  std::string text;               // what the user typed
  std::vector<std::string> tags;  // a candidate must carry every one
  size_t limit = kCandidatesPerRetriever;
  int64_t common_term_documents = kCommonTermDocuments;  // lowered by tests only
};

// The best `limit` candidates by BM25 (higher is better), best first. Empty
// when the text has no words.
std::vector<LexicalCandidate> lexical_candidates(Database& database, const LexicalQuery& query);

}  // namespace weir
