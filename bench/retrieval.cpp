// bench/retrieval — retrieval quality through the product path.
//
// Imports SciFact into a fresh weir home exactly as a user would (JSONL
// {docid, text: title + "\n" + text} through import_documents), then runs every
// query through Searcher::search and scores the rankings: nDCG@10 with the
// default settings (top 10, min_score 0.2) and recall@100 (top 100, min_score
// 0.01), for BM25 only, dense only (local embedder) and hybrid with each
// reranker. Report on the test split; `--split train` is for tuning.
// Goal (issue): hybrid nDCG@10 >= 0.69 and hybrid >= BM25 only.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/retrieval_metrics.hpp"
#include "core/rag/ingest.hpp"
#include "core/rag/local_embedder.hpp"
#include "core/rag/search.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"

using namespace weir;
using json = nlohmann::json;

namespace {

struct Variant {
  std::string name;
  Retrieval retrieval;
  Reranker reranker;
};

json evaluate(Searcher& searcher, const Variant& variant, const std::vector<bench::EvaluationQuery>& queries,
              const bench::Judgments& judgments) {
  bench::RetrievalScoreAccumulator at_defaults, deep;
  std::vector<double> latencies;
  for (const auto& query : queries) {
    auto relevant = judgments.find(query.id);
    if (relevant == judgments.end()) continue;
    SearchRequest request;
    request.collections = {"scifact"};
    request.terms = {query.text};
    request.retrieval = variant.retrieval;
    request.reranker = variant.reranker;
    request.top = 10;  // defaults otherwise: min_score 0.2
    auto start = std::chrono::steady_clock::now();
    auto hits = searcher.search(request, CancelToken());
    latencies.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    std::vector<std::string> ranking;
    for (const auto& hit : hits) ranking.push_back(hit.document.docid);
    at_defaults.add(ranking, relevant->second);

    request.top = 100;
    request.min_score = 0.01;
    ranking.clear();
    for (const auto& hit : searcher.search(request, CancelToken())) ranking.push_back(hit.document.docid);
    deep.add(ranking, relevant->second);
  }
  std::sort(latencies.begin(), latencies.end());
  auto scores = at_defaults.result();
  return {{"ndcg_at_10", scores.ndcg_at_10},
          {"recall_at_100", deep.result().recall_at_100},
          {"queries", scores.queries},
          {"search_p50_ms", latencies.empty() ? 0.0 : latencies[latencies.size() / 2]}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = std::string(WEIR_SOURCE_DIR) + "/../shared/data/scifact";
  std::string split = "test";
  for (int index = 1; index < argc; ++index) {
    std::string argument = argv[index];
    if (argument == "--split" && index + 1 < argc) split = argv[++index];
    else if (argument == "--data" && index + 1 < argc) data = argv[++index];
    else {
      std::cerr << "usage: weir_bench_retrieval [--split test|train] [--data DIR]\n";
      return 2;
    }
  }
  try {
    auto corpus = bench::load_corpus(data + "/corpus.jsonl");
    auto queries = bench::load_queries(data + (split == "train" ? "/queries-train.jsonl" : "/queries.jsonl"));
    auto judgments = bench::load_judgments(data + (split == "train" ? "/qrels-train.tsv" : "/qrels.tsv"));

    char pattern[] = "/tmp/weir-bench-retrieval-XXXXXX";
    std::string home = mkdtemp(pattern);
    auto paths = resolve_paths(home);
    ensure_home(paths);
    Database database(paths.database);
    CollectionRepository(database).create("scifact", "local", LocalEmbedder::kDefaultDimension, "");

    std::stringstream jsonl;
    for (const auto& document : corpus)
      jsonl << json{{"docid", document.id}, {"text", document.title + "\n" + document.text}}.dump() << '\n';
    auto start = std::chrono::steady_clock::now();
    auto report = import_documents(database, paths, "scifact", jsonl, {}, CancelToken());
    double import_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    Searcher searcher(database, paths.indexes);
    std::vector<Variant> variants = {{"bm25_only", Retrieval::lexical, Reranker::none},
                                     {"dense_only", Retrieval::dense, Reranker::none},
                                     {"hybrid_rrf", Retrieval::hybrid, Reranker::rrf},
                                     {"hybrid_none", Retrieval::hybrid, Reranker::none},
                                     {"hybrid_lexical", Retrieval::hybrid, Reranker::lexical}};
    json results = json::object();
    for (const auto& variant : variants) results[variant.name] = evaluate(searcher, variant, queries, judgments);

    double hybrid = results["hybrid_lexical"]["ndcg_at_10"];  // the default reranker
    double bm25 = results["bm25_only"]["ndcg_at_10"];
    json output = {{"benchmark", "retrieval"},
                   {"dataset", "scifact"},
                   {"split", split},
                   {"documents", report.counts.added},
                   {"import_seconds", import_seconds},
                   {"variants", results},
                   {"published_bm25_ndcg_at_10", {0.665, 0.679}},
                   {"goals",
                    {{"hybrid_ndcg_at_10_at_least_0_69", hybrid >= 0.69},
                     {"hybrid_at_least_bm25_only", hybrid >= bm25}}}};
    std::cout << output.dump(2) << '\n';
    std::filesystem::remove_all(home);
  } catch (const std::exception& error) {
    std::cerr << "weir_bench_retrieval: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
