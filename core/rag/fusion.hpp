// Fusion — turns BM25 and dense candidates into one ranked, scored list.
//
// Hybrid search gathers candidates from two retrievers: the lexical one
// (SQLite FTS5 BM25) and the dense one (HNSW over embeddings). fuse() merges
// them into one list of documents, each with a score in [0, 1] whose meaning
// is documented below and stable across collections, so `min_score` (default
// 0.2) is a meaningful threshold that does not hide good lexical matches.
//
// Rerankers (DESIGN.md): `none` orders by the fused score; `rrf` orders by
// weighted reciprocal rank over the two lists; `lexical` additionally boosts
// documents that contain the query's terms exactly or nearly (term coverage,
// and proximity of the matched terms).
//
// SCORE MEANING: see the comment on FusedHit::score.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir {

enum class Reranker { none, rrf, lexical };

// Throws Error(usage) naming the valid values.
Reranker parse_reranker(std::string_view text);
std::string_view to_string(Reranker reranker);

// How many candidates the search should take from each retriever before
// fusing. Measured on SciFact train: fewer loses recall@100 (50: 0.910,
// 100: 0.930), more does not help nDCG@10.
inline constexpr std::size_t kCandidatesPerRetriever = 100;

struct LexicalCandidate {
  int64_t document;
  double bm25;  // FTS5 bm25() negated: higher is better, > 0
};

struct DenseCandidate {
  int64_t document;
  double similarity;  // cosine in [-1, 1]
};

struct FusedHit {
  int64_t document;
  // In [0, 1], higher is better, with the same meaning in every collection
  // (constants are FusionTuning's defaults). Let L be the document's BM25
  // divided by the best BM25 among the query's lexical candidates (1 for the
  // best lexical match, 0 when the lexical retriever did not return it) and
  // D = max(0, cosine similarity) (0 when the dense retriever did not).
  //   none:    0.75 L + 0.25 D. The best lexical match scores at least 0.75,
  //            and any lexical match with at least 27% of the best BM25
  //            passes min_score 0.2.
  //   rrf:     sum over the retrievers that returned the document of
  //            w (k + 1) / (k + rank), k = 10, w = 1/1.3 lexical and 0.3/1.3
  //            dense: 1 = first in both lists, 0.77 = first lexically and
  //            absent densely; it says where a document ranks, not how well
  //            it matches.
  //   lexical: for the 30 best documents by the `none` score,
  //            0.55 none + 0.45 Q, where the match quality Q in [0, 1] is
  //            0.35 coverage + 0.45 title coverage + 0.2 proximity: coverage
  //            is the share of the query's terms the text contains (each
  //            term weighted by its rarity among those 30 candidates; a near
  //            match such as "inflammatory" for "inflammation" counts 0.6),
  //            title coverage the same within the text's first line (a
  //            title or heading path), proximity the share of consecutive
  //            query-term pairs found within 3 words of each other (half
  //            credit within 8). Every other candidate scores 0.55 none, so
  //            it stays below the 30. A reranked text holding every query
  //            term in its body gets 0.16 from coverage alone, so a tenth of
  //            the best BM25 takes it past 0.2; with them in its title as
  //            well it scores at least 0.36 whatever the retrievers said.
  // When one retriever returned nothing (a query without words, an empty
  // index), its weight goes to the other, so one-sided search still reaches 1.
  double score;
};

struct FusionInput {
  std::string_view query;                  // the search term as typed
  std::vector<LexicalCandidate> lexical;   // best first
  std::vector<DenseCandidate> dense;       // best first
  // Texts of the candidate documents, for the lexical reranker (may be null
  // for none/rrf; without them `lexical` orders and scores as `none`). Only
  // the best kLexicalRerankDepth candidates by the `none` score are read.
  const std::vector<std::pair<int64_t, std::string_view>>* texts = nullptr;
};

// The constants of the three rerankers, exposed for bench/retrieval_tuning,
// which measured the defaults on SciFact train. Product code uses the
// defaults: the score meaning above depends on them.
struct FusionTuning {
  // rrf: weight * (rank_constant + 1) / (rank_constant + rank), rank from 1,
  // weights normalised to sum to 1.
  double rank_constant = 10;
  double lexical_rank_weight = 1;
  double dense_rank_weight = 0.3;
  // none: lexical_share * L + (1 - lexical_share) * D.
  double lexical_share = 0.75;
  // When > 0, L is bm25 / (bm25 + bm25_half_point) instead of relative to
  // the query's best (measured worse: an absolute scale suits no collection).
  double bm25_half_point = 0;
  // When true, D is divided by the query's best similarity (measured worse).
  bool dense_relative = false;
  // lexical: (1 - lexical_boost) * none + lexical_boost * match quality.
  double lexical_boost = 0.45;
  double coverage_weight = 0.35;
  double title_weight = 0.45;
  double proximity_weight = 0.2;
  std::size_t rerank_depth = 30;  // 0: every candidate
  double near_match_credit = 0.6;
};

inline constexpr std::size_t kLexicalRerankDepth = FusionTuning{}.rerank_depth;

// Best first; every candidate appears once.
std::vector<FusedHit> fuse(const FusionInput& input, Reranker reranker);
std::vector<FusedHit> fuse(const FusionInput& input, Reranker reranker, const FusionTuning& tuning);

}  // namespace weir
