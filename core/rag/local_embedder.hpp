// LocalEmbedder — the built-in, offline, deterministic embedder.
//
// No model weights: signed feature hashing of word and character n-gram
// features with sublinear term weights, L2-normalised. It is a lexical-ish
// dense representation: robust to inflection, typos and word splits where
// BM25 is exact, so the two complement each other in hybrid search. Tuned on
// SciFact's train split only (bench/retrieval_tuning).
//
// Features of a text (words as lexical_query.hpp defines them):
//   - each distinct word, lightly stemmed, weighted 1 + log(tf);
//   - the character n-grams of each distinct word with boundary marks
//     ("<cell>" gives "<ce", "cel", ..., "ll>"), the word's weight spread
//     over them so a long word does not outweigh a short one;
// Stopwords contribute nothing. (Pairs of consecutive words are supported by
// LocalEmbedderTuning but off: on SciFact train they cost a third of the
// speed and lowered nDCG@10.) There is no IDF: a vector depends on its text
// alone, never on the rest of the collection, so adding documents never
// invalidates stored vectors.
//
// Deterministic across runs, machines and compilers: the same text always
// gives the same vector (no randomness; a hash of our own over bytes, not
// std::hash), so a persisted index stays valid. Queries and documents are
// embedded alike (the role is accepted and ignored): hashing has no notion of
// asymmetric roles.
//
// Measured on SciFact train (5,183 abstracts, 809 claims): dense-only nDCG@10
// 0.512, recall@100 0.809 at 512 dimensions (2048 dimensions: 0.593, but four
// times the memory for no hybrid gain); about 35,000 abstracts a second on
// one core.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/rag/embedder.hpp"

namespace weir {

// The knobs bench/retrieval_tuning explores. The defaults are the shipped
// embedder; anything else produces different vectors, so product code must
// never change them (a collection records only the spec "local" and the
// dimension).
struct LocalEmbedderTuning {
  float word_weight = 1.0f;
  float character_ngram_weight = 1.0f;
  float word_pair_weight = 0.0f;  // measured: pairs cost speed and gained nothing
  int shortest_character_ngram = 3;
  int longest_character_ngram = 5;
  bool stem = true;
  bool drop_stopwords = true;
};

class LocalEmbedder : public Embedder {
 public:
  static constexpr int kDefaultDimension = 512;
  explicit LocalEmbedder(int dimension = kDefaultDimension);
  LocalEmbedder(int dimension, const LocalEmbedderTuning& tuning);

  std::string spec() const override { return "local"; }
  int dimension() const override { return dimension_; }
  // Throws Error(interrupted) when `cancel` fires between two texts.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts, EmbeddingRole role,
                                        const CancelToken& cancel) override;

  // One text into `out` (dimension() floats). Thread-safe; allocation-light
  // (per-thread scratch space is reused from call to call).
  void embed_one(std::string_view text, EmbeddingRole role, float* out) const;

 private:
  int dimension_;
  LocalEmbedderTuning tuning_;
};

}  // namespace weir
