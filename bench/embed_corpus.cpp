// weir_bench_embed_corpus: writes the vectors weir's local embedder makes for
// SciFact (every corpus document and every test query), so that a peer
// database in the index benchmark (bench/lancedb) searches exactly the
// vectors weir searches. Differences in the figures then come from the
// engines, not from the embeddings.
//
// The texts are embedded exactly as weir_bench_index imports them: a document
// is its title, a newline, then its abstract.
//
// Output directory:
//   corpus.f32    documents × dimension float32, little-endian, corpus order
//   queries.f32   test queries × dimension float32, queries.jsonl order
//   manifest.json {"embedder", "dimension", "corpus": {"count", "ids"},
//                  "queries": {"count", "ids", "texts"}, "seconds"}
// Prints a short JSON summary on stdout.
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/retrieval_metrics.hpp"
#include "core/rag/local_embedder.hpp"

namespace {

using json = nlohmann::ordered_json;

struct Options {
  std::string data = WEIR_SOURCE_DIR "/../shared/data/scifact";
  std::string output;
};

void usage() {
  std::cout << "usage: weir_bench_embed_corpus --output DIR [--data SCIFACT_DIR]\n"
               "Embeds SciFact's corpus and test queries with weir's local embedder and writes\n"
               "corpus.f32, queries.f32 and manifest.json into DIR.\n";
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int index = 1; index < argc; ++index) {
    std::string argument = argv[index];
    auto value = [&]() -> std::string {
      if (index + 1 >= argc) throw std::runtime_error(argument + " needs a value");
      return argv[++index];
    };
    if (argument == "--help" || argument == "-h") {
      usage();
      std::exit(0);
    } else if (argument == "--data") {
      options.data = value();
    } else if (argument == "--output") {
      options.output = value();
    } else {
      throw std::runtime_error("unknown option " + argument + " (see --help)");
    }
  }
  if (options.output.empty()) throw std::runtime_error("--output DIR is required (see --help)");
  return options;
}

// Embeds every text into one row-major matrix and writes it as raw float32.
void write_matrix(const weir::LocalEmbedder& embedder, const std::vector<std::string>& texts,
                  weir::EmbeddingRole role, const std::filesystem::path& path) {
  const auto dimension = static_cast<std::size_t>(embedder.dimension());
  std::vector<float> matrix(texts.size() * dimension);
  for (std::size_t row = 0; row < texts.size(); ++row)
    embedder.embed_one(texts[row], role, matrix.data() + row * dimension);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(matrix.data()), static_cast<std::streamsize>(matrix.size() * sizeof(float)));
  if (!file) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    // The reader (a Float32Array in node) assumes the machine's byte order is
    // little-endian, as it is on every platform weir builds for.
    static_assert(std::endian::native == std::endian::little, "the .f32 files are little-endian");
    Options options = parse_options(argc, argv);
    auto corpus = weir::bench::load_corpus(options.data + "/corpus.jsonl");
    auto queries = weir::bench::load_queries(options.data + "/queries.jsonl");

    std::vector<std::string> document_texts;
    json document_ids = json::array();
    for (const auto& document : corpus) {
      document_texts.push_back(document.title + "\n" + document.text);
      document_ids.push_back(document.id);
    }
    std::vector<std::string> query_texts;
    json query_ids = json::array();
    for (const auto& query : queries) {
      query_texts.push_back(query.text);
      query_ids.push_back(query.id);
    }

    std::filesystem::path output(options.output);
    std::filesystem::create_directories(output);
    weir::LocalEmbedder embedder;
    auto start = std::chrono::steady_clock::now();
    write_matrix(embedder, document_texts, weir::EmbeddingRole::document, output / "corpus.f32");
    write_matrix(embedder, query_texts, weir::EmbeddingRole::query, output / "queries.f32");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    json manifest = {{"embedder", embedder.spec()},
                     {"dimension", embedder.dimension()},
                     {"corpus", {{"count", corpus.size()}, {"ids", document_ids}}},
                     {"queries", {{"count", queries.size()}, {"ids", query_ids}, {"texts", query_texts}}},
                     {"seconds", seconds}};
    std::ofstream manifest_file(output / "manifest.json", std::ios::trunc);
    manifest_file << manifest.dump() << '\n';
    if (!manifest_file) throw std::runtime_error("cannot write " + (output / "manifest.json").string());

    std::cout << json{{"output", output.string()},
                      {"embedder", embedder.spec()},
                      {"dimension", embedder.dimension()},
                      {"documents", corpus.size()},
                      {"queries", queries.size()},
                      {"seconds", std::round(seconds * 1000) / 1000}}
                     .dump()
              << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "weir_bench_embed_corpus: " << error.what() << '\n';
    return 1;
  }
}
