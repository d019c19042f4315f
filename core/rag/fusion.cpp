#include "core/rag/fusion.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/error.hpp"
#include "core/rag/lexical_query.hpp"

namespace weir {

namespace {

struct Candidate {
  int64_t document = 0;
  std::size_t lexical_rank = 0;  // from 1; 0 = not found lexically
  double bm25 = 0;
  std::size_t dense_rank = 0;  // from 1; 0 = not found densely
  double similarity = 0;
  double score = 0;
};

std::vector<Candidate> gather(const FusionInput& input) {
  std::vector<Candidate> candidates;
  std::unordered_map<int64_t, std::size_t> position_of;
  candidates.reserve(input.lexical.size() + input.dense.size());
  position_of.reserve(input.lexical.size() + input.dense.size());
  auto slot_of = [&](int64_t document) -> Candidate& {
    auto [entry, inserted] = position_of.try_emplace(document, candidates.size());
    if (inserted) candidates.push_back(Candidate{document});
    return candidates[entry->second];
  };
  // A document listed twice by one retriever keeps its best (first) place.
  for (std::size_t index = 0; index < input.lexical.size(); ++index) {
    Candidate& candidate = slot_of(input.lexical[index].document);
    if (candidate.lexical_rank == 0) {
      candidate.lexical_rank = index + 1;
      candidate.bm25 = input.lexical[index].bm25;
    }
  }
  for (std::size_t index = 0; index < input.dense.size(); ++index) {
    Candidate& candidate = slot_of(input.dense[index].document);
    if (candidate.dense_rank == 0) {
      candidate.dense_rank = index + 1;
      candidate.similarity = input.dense[index].similarity;
    }
  }
  return candidates;
}

double clamp_unit(double value) {
  if (!(value > 0)) return 0;  // also maps NaN to 0
  return value < 1 ? value : 1;
}

// A retriever that returned nothing (no words in the query, an empty index)
// hands its weight to the other, so a one-sided search still reaches 1.
void weights_for(const FusionInput& input, double lexical_weight, double dense_weight, double& lexical,
                 double& dense) {
  lexical = input.lexical.empty() ? 0 : lexical_weight;
  dense = input.dense.empty() ? 0 : dense_weight;
  double total = lexical + dense;
  if (total <= 0) {
    lexical = dense = 0;
    return;
  }
  lexical /= total;
  dense /= total;
}

void score_by_reciprocal_rank(const FusionInput& input, const FusionTuning& tuning, std::vector<Candidate>& candidates) {
  double lexical_weight = 0;
  double dense_weight = 0;
  weights_for(input, tuning.lexical_rank_weight, tuning.dense_rank_weight, lexical_weight, dense_weight);
  const double k = tuning.rank_constant;
  // Scaled so that first place in every list is exactly 1.
  for (auto& candidate : candidates) {
    double sum = 0;
    if (candidate.lexical_rank != 0) sum += lexical_weight * (k + 1) / (k + static_cast<double>(candidate.lexical_rank));
    if (candidate.dense_rank != 0) sum += dense_weight * (k + 1) / (k + static_cast<double>(candidate.dense_rank));
    candidate.score = clamp_unit(sum);
  }
}

void score_by_normalised_scores(const FusionInput& input, const FusionTuning& tuning,
                                std::vector<Candidate>& candidates) {
  double lexical_weight = 0;
  double dense_weight = 0;
  weights_for(input, tuning.lexical_share, 1 - tuning.lexical_share, lexical_weight, dense_weight);
  double best_bm25 = 0;
  for (const auto& hit : input.lexical) best_bm25 = std::max(best_bm25, hit.bm25);
  double best_similarity = 0;
  for (const auto& hit : input.dense) best_similarity = std::max(best_similarity, hit.similarity);
  for (auto& candidate : candidates) {
    double lexical = 0;
    if (candidate.lexical_rank != 0 && candidate.bm25 > 0)
      lexical = tuning.bm25_half_point > 0 ? candidate.bm25 / (candidate.bm25 + tuning.bm25_half_point)
                                           : candidate.bm25 / best_bm25;
    double dense = std::max(0.0, candidate.similarity);
    if (tuning.dense_relative && best_similarity > 0) dense /= best_similarity;
    candidate.score = clamp_unit(lexical_weight * clamp_unit(lexical) + dense_weight * clamp_unit(dense));
  }
}

// --- lexical reranker -------------------------------------------------------

struct QueryTerm {
  std::string stem;
};

std::vector<QueryTerm> query_terms(std::string_view query) {
  std::vector<QueryTerm> terms;
  std::vector<QueryTerm> stopwords;
  std::string word;
  std::string storage;
  for (std::size_t position = next_word(query, 0, word); position != std::string_view::npos;
       position = next_word(query, position, word)) {
    auto& bucket = is_stopword(word) ? stopwords : terms;
    std::string stem(light_stem(word, storage));
    bool seen = std::any_of(bucket.begin(), bucket.end(), [&](const QueryTerm& term) { return term.stem == stem; });
    if (!seen && bucket.size() < kMaxQueryTerms) bucket.push_back(QueryTerm{std::move(stem)});
  }
  return terms.empty() ? stopwords : terms;
}

// Near-exact: one word extends the other ("cell", "cellular") or they differ
// only past a long common prefix ("inflammation", "inflammatory"). Gets
// partial credit, since the meaning may drift.
double match_credit(std::string_view query_stem, std::string_view document_stem, double near_credit) {
  if (query_stem == document_stem) return 1;
  const std::size_t shorter = std::min(query_stem.size(), document_stem.size());
  if (shorter < 4) return 0;
  std::size_t common = 0;
  while (common < shorter && query_stem[common] == document_stem[common]) ++common;
  if (common == shorter) return near_credit;
  const std::size_t longer = std::max(query_stem.size(), document_stem.size());
  if (common >= 6 && longer - common <= 3) return near_credit;
  return 0;
}

struct TermEvidence {
  std::vector<double> credit;        // per query term, best match anywhere
  std::vector<double> title_credit;  // per query term, best match in the first line
  std::vector<std::vector<std::size_t>> positions;
};

TermEvidence gather_evidence(const std::vector<QueryTerm>& terms, std::string_view text, double near_credit,
                             bool skip_stopwords) {
  constexpr std::size_t kMaxPositions = 32;  // enough to find a close pair
  TermEvidence evidence;
  evidence.credit.assign(terms.size(), 0.0);
  evidence.title_credit.assign(terms.size(), 0.0);
  evidence.positions.resize(terms.size());
  // The first line is a title or a heading path when the text has more.
  const std::size_t title_end = text.find('\n');
  std::string word;
  std::string storage;
  std::size_t word_index = 0;
  for (std::size_t position = next_word(text, 0, word); position != std::string_view::npos;
       position = next_word(text, position, word), ++word_index) {
    if (skip_stopwords && is_stopword(word)) continue;
    std::string_view stem = light_stem(word, storage);
    const bool in_title = title_end != std::string_view::npos && position <= title_end + 1;
    for (std::size_t term = 0; term < terms.size(); ++term) {
      // Cheap rejection first: near matches share at least four leading bytes.
      const std::string& query_stem = terms[term].stem;
      if (query_stem.size() >= 4 && stem.size() >= 4 && stem.compare(0, 4, query_stem, 0, 4) != 0) continue;
      double value = match_credit(query_stem, stem, near_credit);
      if (value == 0) continue;
      evidence.credit[term] = std::max(evidence.credit[term], value);
      if (in_title) evidence.title_credit[term] = std::max(evidence.title_credit[term], value);
      if (evidence.positions[term].size() < kMaxPositions) evidence.positions[term].push_back(word_index);
    }
  }
  return evidence;
}

double weighted_share(const std::vector<double>& credit, const std::vector<double>& weight) {
  double total = 0;
  double matched = 0;
  for (std::size_t term = 0; term < credit.size(); ++term) {
    total += weight[term];
    matched += weight[term] * credit[term];
  }
  return total > 0 ? matched / total : 0;
}

// The share of consecutive query-term pairs that occur close together in the
// text, in either order. Stopwords count as positions, so "expression of
// p53" is distance 2.
double proximity_of(const TermEvidence& evidence, const std::vector<double>& weight) {
  const std::size_t terms = evidence.positions.size();
  if (terms < 2) return weighted_share(evidence.credit, weight);
  double total = 0;
  double pairs = 0;
  for (std::size_t term = 0; term + 1 < terms; ++term) {
    const double pair_weight = std::min(weight[term], weight[term + 1]);
    total += pair_weight;
    std::size_t closest = std::string_view::npos;
    for (std::size_t left : evidence.positions[term])
      for (std::size_t right : evidence.positions[term + 1]) closest = std::min(closest, left > right ? left - right : right - left);
    if (closest <= 3)
      pairs += pair_weight;
    else if (closest <= 8)
      pairs += 0.5 * pair_weight;
  }
  return total > 0 ? pairs / total : 0;
}

// Candidates must be in `none` order; only the first rerank_depth are read.
void boost_lexical_matches(const FusionInput& input, const FusionTuning& tuning, std::vector<Candidate>& candidates) {
  if (input.texts == nullptr) return;
  const auto terms = query_terms(input.query);
  if (terms.empty()) return;
  // A query of function words only ("The Who") has to match them.
  const bool skip_stopwords = !is_stopword(terms.front().stem);
  const std::size_t depth =
      tuning.rerank_depth == 0 ? candidates.size() : std::min(tuning.rerank_depth, candidates.size());
  std::unordered_map<int64_t, std::string_view> text_of;
  text_of.reserve(input.texts->size());
  for (const auto& [document, text] : *input.texts) text_of.emplace(document, text);
  std::vector<TermEvidence> evidence;
  evidence.reserve(depth);
  // Rarity among the candidates stands in for IDF, which fusion cannot see.
  std::vector<double> containing(terms.size(), 0.0);
  for (std::size_t index = 0; index < depth; ++index) {
    auto found = text_of.find(candidates[index].document);
    std::string_view text = found == text_of.end() ? std::string_view() : found->second;
    evidence.push_back(gather_evidence(terms, text, tuning.near_match_credit, skip_stopwords));
    for (std::size_t term = 0; term < terms.size(); ++term)
      if (evidence.back().credit[term] > 0) containing[term] += 1;
  }
  std::vector<double> weight(terms.size());
  for (std::size_t term = 0; term < terms.size(); ++term)
    weight[term] = std::log((static_cast<double>(depth) + 1) / (containing[term] + 0.5));
  const double parts = tuning.coverage_weight + tuning.title_weight + tuning.proximity_weight;
  for (std::size_t index = 0; index < candidates.size(); ++index) {
    double quality = 0;
    if (index < depth && parts > 0) {
      const TermEvidence& found = evidence[index];
      quality = (tuning.coverage_weight * weighted_share(found.credit, weight) +
                 tuning.title_weight * weighted_share(found.title_credit, weight) +
                 tuning.proximity_weight * proximity_of(found, weight)) /
                parts;
    }
    // Past the depth the quality is unknown and taken as 0, which keeps
    // those candidates below every reranked one.
    candidates[index].score =
        clamp_unit((1 - tuning.lexical_boost) * candidates[index].score + tuning.lexical_boost * quality);
  }
}

// Best first. Ties go to the better lexical place, then the better dense
// place, then the smaller id, so the order is total and reproducible.
void order(std::vector<Candidate>& candidates) {
  auto place = [](std::size_t rank) { return rank == 0 ? static_cast<std::size_t>(-1) : rank; };
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& left, const Candidate& right) {
    if (left.score != right.score) return left.score > right.score;
    if (place(left.lexical_rank) != place(right.lexical_rank)) return place(left.lexical_rank) < place(right.lexical_rank);
    if (place(left.dense_rank) != place(right.dense_rank)) return place(left.dense_rank) < place(right.dense_rank);
    return left.document < right.document;
  });
}

}  // namespace

Reranker parse_reranker(std::string_view text) {
  if (text == "none") return Reranker::none;
  if (text == "rrf") return Reranker::rrf;
  if (text == "lexical") return Reranker::lexical;
  throw Error(ErrorKind::usage,
              "unknown reranker \"" + std::string(text) + "\"; valid rerankers are none, rrf and lexical");
}

std::string_view to_string(Reranker reranker) {
  switch (reranker) {
    case Reranker::none: return "none";
    case Reranker::rrf: return "rrf";
    case Reranker::lexical: return "lexical";
  }
  return "none";
}

std::vector<FusedHit> fuse(const FusionInput& input, Reranker reranker) { return fuse(input, reranker, FusionTuning{}); }

std::vector<FusedHit> fuse(const FusionInput& input, Reranker reranker, const FusionTuning& tuning) {
  std::vector<Candidate> candidates = gather(input);
  if (reranker == Reranker::rrf) {
    score_by_reciprocal_rank(input, tuning, candidates);
  } else {
    score_by_normalised_scores(input, tuning, candidates);
  }
  order(candidates);
  if (reranker == Reranker::lexical && input.texts != nullptr) {
    boost_lexical_matches(input, tuning, candidates);
    order(candidates);
  }
  std::vector<FusedHit> hits;
  hits.reserve(candidates.size());
  for (const auto& candidate : candidates) hits.push_back(FusedHit{candidate.document, candidate.score});
  return hits;
}

}  // namespace weir
