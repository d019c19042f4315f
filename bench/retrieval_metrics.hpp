// Retrieval evaluation shared by the retrieval benchmarks: loading a BEIR-style
// test collection (SciFact in ../shared/data/scifact) and scoring rankings
// against its judgments with nDCG@k and recall@k.
//
// Relevance is binary (BEIR's SciFact judgments are all 1): a ranked document
// gains 1 / log2(rank + 1) when judged relevant, and the ideal DCG puts
// min(k, number of relevant documents) relevant ones first. Queries without
// judgments are not evaluated (they would score 0 whatever the system did).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace weir::bench {

struct CorpusDocument {
  std::string id;
  std::string title;
  std::string text;
};

struct EvaluationQuery {
  std::string id;
  std::string text;
};

// Query id -> ids of the documents judged relevant.
using Judgments = std::map<std::string, std::set<std::string>>;

// Reads a JSONL file line by line, handing each parsed object to `visit`.
template <typename Visit>
void read_json_lines(const std::string& path, Visit&& visit) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::size_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      visit(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& error) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + error.what());
    }
  }
}

// BEIR ids may be written as strings or numbers.
inline std::string json_id(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

inline std::vector<CorpusDocument> load_corpus(const std::string& path) {
  std::vector<CorpusDocument> documents;
  read_json_lines(path, [&](const nlohmann::json& object) {
    documents.push_back(CorpusDocument{json_id(object.at("_id")), object.value("title", std::string()),
                                       object.value("text", std::string())});
  });
  return documents;
}

inline std::vector<EvaluationQuery> load_queries(const std::string& path) {
  std::vector<EvaluationQuery> queries;
  read_json_lines(path, [&](const nlohmann::json& object) {
    queries.push_back(EvaluationQuery{json_id(object.at("_id")), object.at("text").get<std::string>()});
  });
  return queries;
}

// TSV with a header line: query-id, corpus-id, score. Scores <= 0 are not
// relevant.
inline Judgments load_judgments(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  Judgments judgments;
  std::string line;
  bool header = true;
  while (std::getline(file, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string query;
    std::string document;
    double score = 0;
    if (!(fields >> query >> document >> score)) throw std::runtime_error(path + ": malformed line: " + line);
    if (score > 0) judgments[query].insert(document);
  }
  return judgments;
}

// `ranking` is best first; documents past k are ignored.
inline double ndcg_at(const std::vector<std::string>& ranking, const std::set<std::string>& relevant, std::size_t k) {
  if (relevant.empty()) return 0;
  double gain = 0;
  for (std::size_t rank = 0; rank < std::min(k, ranking.size()); ++rank)
    if (relevant.count(ranking[rank]) != 0) gain += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
  double ideal = 0;
  for (std::size_t rank = 0; rank < std::min(k, relevant.size()); ++rank)
    ideal += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
  return gain / ideal;
}

inline double recall_at(const std::vector<std::string>& ranking, const std::set<std::string>& relevant, std::size_t k) {
  if (relevant.empty()) return 0;
  std::size_t found = 0;
  std::set<std::string> counted;
  for (std::size_t rank = 0; rank < std::min(k, ranking.size()); ++rank)
    if (relevant.count(ranking[rank]) != 0 && counted.insert(ranking[rank]).second) ++found;
  return static_cast<double>(found) / static_cast<double>(relevant.size());
}

// Mean nDCG@10 and recall@100 over the judged queries.
struct RetrievalScores {
  double ndcg_at_10 = 0;
  double recall_at_100 = 0;
  std::size_t queries = 0;
};

class RetrievalScoreAccumulator {
 public:
  void add(const std::vector<std::string>& ranking, const std::set<std::string>& relevant) {
    ndcg_sum_ += ndcg_at(ranking, relevant, 10);
    recall_sum_ += recall_at(ranking, relevant, 100);
    ++queries_;
  }
  RetrievalScores result() const {
    RetrievalScores scores;
    scores.queries = queries_;
    if (queries_ == 0) return scores;
    scores.ndcg_at_10 = ndcg_sum_ / static_cast<double>(queries_);
    scores.recall_at_100 = recall_sum_ / static_cast<double>(queries_);
    return scores;
  }

 private:
  double ndcg_sum_ = 0;
  double recall_sum_ = 0;
  std::size_t queries_ = 0;
};

}  // namespace weir::bench
