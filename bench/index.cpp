// weir_bench_index: how fast weir fills a collection and searches it, in
// process (linking weir_core, so no process start-up blurs the figures).
//
//  1. SciFact (5,183 abstracts): imports them as JSONL through
//     import_documents() into a fresh temporary home, timing the whole import
//     (parsing, embedding with the local embedder, SQLite and FTS5 writes, the
//     HNSW build and save). Then times the 300 test queries in each retrieval
//     mode and scores them (nDCG@10, recall@10).
//  2. A synthetic collection (100,000 English-like chunks of 60–150 words by
//     default, deterministic): the same import, then a fresh Searcher times
//     its first search (which loads the index) apart from 500+ queries of 3–10
//     words through Searcher::search with the default SearchRequest (or
//     another reranker with --reranker).
//  3. With --lancedb FILE (written by bench/lancedb/scifact.mjs, which
//     ingests the same SciFact texts with the same vectors), scores LanceDB's
//     rankings with the same code and puts its figures beside weir's, with
//     ratios.
//
// Prints one JSON object on stdout. A missed goal is reported as
// "goal_met": false, never as a failure; only a benchmark that could not run
// exits non-zero.
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/process_timing.hpp"
#include "bench/retrieval_metrics.hpp"
#include "bench/temporary_directory.hpp"
#include "core/cancellation.hpp"
#include "core/rag/index_sync.hpp"
#include "core/rag/ingest.hpp"
#include "core/rag/local_embedder.hpp"
#include "core/rag/search.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/paths.hpp"

namespace {

namespace fs = std::filesystem;
using weir::bench::json;
using Clock = std::chrono::steady_clock;

constexpr double kGoalChunksPerSecond = 5000;
constexpr double kGoalSearchMedianMs = 5;
constexpr double kGoalSearchP99Ms = 20;
constexpr int kGoalCollectionSize = 100000;
// Quality is scored over the first ten results, as BEIR reports SciFact.
constexpr int kRankedResults = 10;

struct Options {
  std::string data = WEIR_SOURCE_DIR "/../shared/data/scifact";
  int synthetic = kGoalCollectionSize;
  int queries = 500;
  uint64_t seed = 1;
  std::string lancedb;          // report of bench/lancedb/scifact.mjs
  std::string lancedb_skipped;  // why LanceDB did not run, when it did not
  std::string temporary_parent = fs::temp_directory_path().string();
  std::string reranker;  // empty: SearchRequest's default
  bool breakdown = false;
  bool ingest_only = false;
  bool keep = false;
};

void usage() {
  std::cout << "usage: weir_bench_index [--synthetic N] [--queries N] [--seed N] [--data SCIFACT_DIR]\n"
               "         [--lancedb REPORT.json | --lancedb-skipped REASON] [--breakdown]\n"
               "         [--reranker none|rrf|lexical] [--ingest-only] [--temporary-directory DIR] [--keep]\n"
               "Times weir's ingest (SciFact and N synthetic chunks, default 100000) and its search\n"
               "latency (N chunks, at least 500 queries), beside LanceDB when given its report.\n"
               "  --breakdown      also time the synthetic import's embedding and index build apart\n"
               "  --reranker NAME  the hybrid searches' reranker (default: SearchRequest's default)\n"
               "  --ingest-only    skip every search (for profiling the import)\n"
               "  --keep           leave the temporary homes in place and print where they are\n";
}

int parse_number(const std::string& option, const std::string& text, int minimum) {
  std::size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < minimum || value > 10'000'000)
    throw std::runtime_error(option + " takes a whole number from " + std::to_string(minimum) + ", got '" + text + "'");
  return static_cast<int>(value);
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
    } else if (argument == "--synthetic") {
      options.synthetic = parse_number(argument, value(), 10);
    } else if (argument == "--queries") {
      options.queries = parse_number(argument, value(), 1);
    } else if (argument == "--seed") {
      options.seed = static_cast<uint64_t>(parse_number(argument, value(), 0));
    } else if (argument == "--data") {
      options.data = value();
    } else if (argument == "--lancedb") {
      options.lancedb = value();
    } else if (argument == "--lancedb-skipped") {
      options.lancedb_skipped = value();
    } else if (argument == "--temporary-directory") {
      options.temporary_parent = value();
    } else if (argument == "--reranker") {
      options.reranker = value();
      weir::parse_reranker(options.reranker);
    } else if (argument == "--breakdown") {
      options.breakdown = true;
    } else if (argument == "--ingest-only") {
      options.ingest_only = true;
    } else if (argument == "--keep") {
      options.keep = true;
    } else {
      throw std::runtime_error("unknown option " + argument + " (see --help)");
    }
  }
  return options;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
double milliseconds_since(Clock::time_point start) { return seconds_since(start) * 1000; }

// CPU time of every thread of this process: beside wall time it shows how
// much of the machine an engine used (weir imports on one thread; LanceDB
// spreads over every core).
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double round_to(double value, int digits) {
  double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

double megabytes(uint64_t bytes) { return round_to(static_cast<double>(bytes) / 1e6, 1); }

uint64_t file_size_or_zero(const fs::path& path) {
  std::error_code error;
  auto size = fs::file_size(path, error);
  return error ? 0 : size;
}

// A weir home of its own under the temporary directory, removed afterwards
// unless --keep: each collection is measured in a home nothing else has
// touched, as a first `weir collection import` would find it.
class TemporaryHome {
 public:
  TemporaryHome(const std::string& parent, const std::string& label, bool keep)
      : directory_("index-" + label, parent, keep), paths_(weir::resolve_paths(directory_.path())) {
    weir::ensure_home(paths_);
  }

  const weir::Paths& paths() const { return paths_; }

 private:
  weir::bench::TemporaryDirectory directory_;
  weir::Paths paths_;
};

// --- synthetic English-like text --------------------------------------------

// splitmix64: its output is fixed by its definition, so the synthetic corpus
// is byte-identical on every platform and standard library (the std::
// distributions are not).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t value = (state_ += 0x9E3779B97F4A7C15ULL);
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
    return value ^ (value >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::size_t below(std::size_t bound) {
    return std::min(bound - 1, static_cast<std::size_t>(uniform() * static_cast<double>(bound)));
  }
  std::size_t between(std::size_t lowest, std::size_t highest) { return lowest + below(highest - lowest + 1); }
  bool chance(double probability) { return uniform() < probability; }

 private:
  uint64_t state_;
};

// Distinct streams for the vocabulary, each chunk and each query, all from
// the one --seed.
uint64_t stream_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  Random mixer(seed * 0x100000001B3ULL + stream);
  return mixer.next() ^ (index * 0xD6E8FEB86659FD93ULL);
}

// Function words and their rough shares of running English text; together
// they are about 40 % of the words, as in real prose. Most are stopwords to
// weir's lexical retriever; a few ("also", "may", "however") are not, as in
// real text.
constexpr std::array<std::pair<std::string_view, double>, 50> kFunctionWords = {{
    {"the", 6.0},     {"of", 3.4},    {"and", 2.9},    {"to", 2.6},     {"a", 2.2},       {"in", 2.0},
    {"is", 1.1},      {"that", 1.0},  {"for", 0.9},    {"it", 0.8},     {"as", 0.7},      {"with", 0.7},
    {"was", 0.6},     {"on", 0.6},    {"by", 0.5},     {"be", 0.5},     {"this", 0.5},    {"are", 0.5},
    {"from", 0.45},   {"or", 0.4},    {"at", 0.4},     {"an", 0.35},    {"which", 0.3},   {"not", 0.3},
    {"have", 0.3},    {"has", 0.3},   {"were", 0.25},  {"can", 0.25},   {"their", 0.25},  {"more", 0.2},
    {"when", 0.2},    {"these", 0.2}, {"than", 0.15},  {"between", 0.12}, {"into", 0.12}, {"after", 0.1},
    {"also", 0.1},    {"its", 0.1},   {"may", 0.1},    {"both", 0.08},  {"during", 0.08}, {"each", 0.08},
    {"however", 0.06}, {"while", 0.06}, {"most", 0.06}, {"other", 0.06}, {"such", 0.05},  {"would", 0.05},
    {"should", 0.04}, {"because", 0.04},
}};

// The most frequent content words are real English; the long tail is built
// from English prefixes, roots and suffixes ("neuroportive", "transgraphic"),
// so the lexical index sees a realistic spread of term frequencies and the
// embedder realistic character n-grams.
constexpr std::string_view kCommonContentWords[] = {
    "time",       "people",     "year",       "way",        "day",        "world",      "life",       "work",
    "system",     "part",       "number",     "group",      "problem",    "fact",       "study",      "result",
    "data",       "change",     "level",      "process",    "model",      "value",      "rate",       "effect",
    "information", "service",   "order",      "power",      "market",     "area",       "water",      "family",
    "program",    "question",   "government", "company",    "case",       "point",      "health",     "research",
    "development", "report",    "history",    "energy",     "policy",     "use",        "make",       "show",
    "find",       "give",       "provide",    "increase",   "include",    "reduce",     "develop",    "measure",
    "suggest",    "report",     "support",    "require",    "describe",   "compare",    "observe",    "produce",
    "new",        "high",       "large",      "small",      "important",  "different",  "early",      "public",
    "social",     "national",   "local",      "significant", "specific",  "recent",     "common",     "general",
    "human",      "natural",    "economic",   "clinical",   "cellular",   "molecular",  "digital",    "urban",
    "patient",    "treatment",  "disease",    "cell",       "protein",    "gene",       "risk",       "response",
    "analysis",   "method",     "approach",   "network",    "structure",  "function",   "pattern",    "signal",
    "surface",    "pressure",   "temperature", "material",  "metal",      "plant",      "soil",       "climate",
    "river",      "city",       "school",     "student",    "teacher",    "language",   "music",      "art",
    "film",       "book",       "story",      "war",        "law",        "court",      "election",   "party",
    "price",      "cost",       "income",     "trade",      "bank",       "credit",     "tax",        "budget",
    "computer",   "software",   "memory",     "device",     "sensor",     "engine",     "vehicle",    "road",
    "train",      "ship",       "aircraft",   "light",      "sound",      "image",      "color",      "field",
    "force",      "mass",       "speed",      "distance",   "growth",     "loss",       "age",        "child",
    "woman",      "man",        "population", "community",  "region",     "country",    "state",      "center",
    "building",   "house",      "room",       "door",       "food",       "diet",       "sleep",      "exercise",
    "brain",      "heart",      "blood",      "bone",       "skin",       "tissue",     "drug",       "dose",
    "trial",      "sample",     "test",       "experiment", "theory",     "evidence",   "control",    "factor",
    "feature",    "quality",    "design",     "product",    "user",       "customer",   "team",       "project",
    "goal",       "plan",       "strategy",   "decision",   "risk",       "security",   "access",     "record",
    "source",     "resource",   "environment", "species",   "animal",     "bird",       "fish",       "forest",
    "island",     "ocean",      "mountain",   "season",     "summer",     "winter",     "morning",    "evening",
    "weekly",     "annual",     "rapid",      "slow",       "strong",     "weak",       "stable",     "complex",
    "simple",     "direct",     "primary",    "secondary",  "positive",   "negative",   "average",    "total",
    "action",     "activity",   "addition",   "advice",     "agreement",  "amount",     "answer",     "attention",
    "balance",    "behavior",   "benefit",    "board",      "body",       "capacity",   "career",     "category",
    "chance",     "character",  "choice",     "claim",      "class",      "condition",  "connection", "context",
    "contract",   "culture",    "damage",     "degree",     "demand",     "detail",     "difference", "direction",
    "distribution", "duty",     "edge",       "education",  "element",    "error",      "event",      "example",
    "experience", "expression", "failure",    "feeling",    "figure",     "focus",      "form",       "frame",
    "future",     "garden",     "ground",     "guide",      "habit",      "hand",       "idea",       "impact",
    "industry",   "interest",   "issue",      "item",       "job",        "knowledge",  "labor",      "layer",
    "leader",     "length",     "limit",      "line",       "list",       "load",       "machine",    "manner",
    "matter",     "meaning",    "member",     "message",    "mind",       "moment",     "motion",     "movement",
    "nature",     "need",       "note",       "object",     "office",     "opinion",    "option",     "origin",
    "outcome",    "page",       "paper",      "path",       "performance", "period",    "person",     "phase",
    "picture",    "piece",      "place",      "position",   "practice",   "presence",   "principle",  "production",
    "progress",   "property",   "purpose",    "range",      "reason",     "relation",   "role",       "rule",
    "scale",      "scene",      "science",    "section",    "sense",      "series",     "set",        "shape",
    "share",      "side",       "sign",       "site",       "situation",  "size",       "skill",      "space",
    "stage",      "standard",   "step",       "stock",      "stress",     "style",      "subject",    "success",
    "supply",     "task",       "term",       "thing",      "thought",    "tool",       "topic",      "track",
    "type",       "unit",       "variety",    "version",    "view",       "voice",      "volume",     "weight",
    "accept",     "achieve",    "allow",      "apply",      "argue",      "assume",     "avoid",      "build",
    "carry",      "cause",      "choose",     "collect",    "consider",   "contain",    "continue",   "create",
    "define",     "depend",     "determine",  "enter",      "establish",  "expect",   "explain",    "express",
    "follow",     "form",       "gain",       "grow",       "handle",     "identify",   "improve",    "indicate",
    "involve",    "join",       "keep",       "learn",      "lead",       "maintain",   "manage",     "mean",
    "move",       "obtain",     "occur",      "offer",      "operate",    "perform",    "prepare",    "prevent",
    "protect",    "prove",      "reach",      "receive",    "reflect",    "remain",     "remove",     "replace",
    "represent",  "return",     "reveal",     "select",     "serve",      "share",      "solve",      "study",
    "accurate",   "active",     "actual",     "additional", "available",  "basic",      "broad",      "central",
    "certain",    "clear",      "close",      "current",    "deep",       "dense",      "easy",       "effective",
    "entire",     "essential",  "final",      "free",       "full",       "global",     "heavy",      "internal",
    "key",        "likely",     "long",       "low",        "main",       "major",      "minor",      "modern",
    "normal",     "open",       "original",   "physical",   "popular",    "possible",   "potential",  "previous",
    "private",    "real",       "relevant",   "similar",    "single",     "special",    "standard",   "various",
};

constexpr std::array<std::string_view, 20> kPrefixes = {"re",    "pre",   "con",  "de",    "in",   "trans", "sub",
                                                        "inter", "over",  "under", "micro", "macro", "bio",  "geo",
                                                        "neuro", "photo", "hydro", "multi", "anti",  "post"};
constexpr std::array<std::string_view, 60> kRoots = {
    "struct", "form",  "port",  "duct",  "spect", "mit",   "press", "tend",  "vert",  "cept",  "grad",  "scrib",
    "mot",    "cur",   "pend",  "fer",   "ject",  "log",   "graph", "phon",  "therm", "chron", "path",  "gen",
    "cycl",   "morph", "lum",   "vol",   "terr",  "aqu",   "carb",  "lith",  "card",  "derm",  "hem",   "oste",
    "myc",    "phyt",  "zo",    "plast", "sens",  "vis",   "dic",   "fract", "rupt",  "tract", "flect", "flu",
    "junct",  "lect",  "mand",  "nov",   "pon",   "quer",  "sol",   "son",   "tain",  "val",   "ven",   "voc"};
constexpr std::array<std::string_view, 22> kSuffixes = {"ation", "ive", "al",  "ity",  "ous", "ment", "ic",    "er",
                                                        "ism",   "ing", "ed",  "s",    "able", "ize", "ology", "ate",
                                                        "ure",   "ist", "ant", "ency", "or",  "ium"};

class SyntheticCorpus {
 public:
  static constexpr std::size_t kVocabularySize = 50000;
  static constexpr std::size_t kTopics = 1000;
  static constexpr std::size_t kWordsPerTopic = 30;

  explicit SyntheticCorpus(uint64_t seed) : seed_(seed) {
    std::set<std::string> seen;
    for (auto word : kCommonContentWords)
      if (seen.insert(std::string(word)).second) vocabulary_.emplace_back(word);
    for (auto [word, weight] : kFunctionWords) seen.insert(std::string(word));
    Random random(stream_seed(seed, 1, 0));
    while (vocabulary_.size() < kVocabularySize) {
      std::string word;
      if (random.chance(0.4)) word += kPrefixes[random.below(kPrefixes.size())];
      word += kRoots[random.below(kRoots.size())];
      if (random.chance(0.2)) word += kRoots[random.below(kRoots.size())];
      if (random.chance(0.85)) word += kSuffixes[random.below(kSuffixes.size())];
      if (word.size() >= 4 && seen.insert(word).second) vocabulary_.push_back(std::move(word));
    }
    // Zipf–Mandelbrot over content words: 1 / (rank + 20). The offset keeps
    // the most common content word in about a third of the chunks, as
    // "time" or "people" would be, instead of in nearly all of them.
    double total = 0;
    for (std::size_t rank = 0; rank < vocabulary_.size(); ++rank) {
      total += 1.0 / (static_cast<double>(rank) + 20.0);
      content_cumulative_.push_back(total);
    }
    total = 0;
    for (auto [word, weight] : kFunctionWords) {
      total += weight;
      function_cumulative_.push_back(total);
    }
    // Topics make chunks cluster as real documents do (a few words recur
    // within a subject), which is what HNSW graphs and BM25 both meet in
    // practice; their words come from the middle and the tail, not the head.
    for (std::size_t topic = 0; topic < kTopics; ++topic) {
      std::vector<uint32_t> words;
      // Log-uniform ranks from 60 up: a subject's words are mostly rarer
      // than everyday ones, a few of them everyday ones.
      for (std::size_t word = 0; word < kWordsPerTopic; ++word) {
        double rank = 60.0 * std::pow(static_cast<double>(vocabulary_.size()) / 60.0, random.uniform());
        words.push_back(static_cast<uint32_t>(std::min(rank, static_cast<double>(vocabulary_.size() - 1))));
      }
      topics_.push_back(std::move(words));
    }
  }

  // The words of chunk `index`, lower-case; `sentence_ends` marks the words
  // that close a sentence and `commas` those followed by a comma.
  struct Words {
    std::vector<std::string> words;
    std::vector<bool> sentence_ends;
    std::vector<bool> commas;
  };

  Words chunk_words(std::size_t index) const {
    Random random(stream_seed(seed_, 2, index));
    Words chunk;
    std::size_t target = random.between(60, 150);
    const auto& first_topic = topics_[random.below(kTopics)];
    const auto& second_topic = random.chance(0.3) ? topics_[random.below(kTopics)] : first_topic;
    while (chunk.words.size() < target) {
      std::size_t length = std::min(random.between(8, 24), target - chunk.words.size());
      bool previous_was_function = true;  // a sentence opens with a content word or a function word alike
      for (std::size_t position = 0; position < length; ++position) {
        if (position > 0 && !previous_was_function && random.chance(0.42)) {
          chunk.words.emplace_back(kFunctionWords[sample(function_cumulative_, random)].first);
          previous_was_function = true;
        } else {
          chunk.words.push_back(content_word(random, random.chance(0.5) ? first_topic : second_topic));
          previous_was_function = false;
        }
        chunk.sentence_ends.push_back(position + 1 == length);
        chunk.commas.push_back(position + 1 < length && random.chance(0.05));
      }
    }
    return chunk;
  }

  std::string chunk_text(std::size_t index) const {
    auto chunk = chunk_words(index);
    std::string text;
    bool sentence_start = true;
    for (std::size_t position = 0; position < chunk.words.size(); ++position) {
      if (!text.empty()) text += ' ';
      std::string word = chunk.words[position];
      if (sentence_start && !word.empty() && word[0] >= 'a' && word[0] <= 'z')
        word[0] = static_cast<char>(word[0] - 'a' + 'A');
      text += word;
      if (chunk.commas[position]) text += ',';
      if (chunk.sentence_ends[position]) text += '.';
      sentence_start = chunk.sentence_ends[position];
    }
    return text;
  }

  // A query is 3–10 consecutive words of a random chunk, as a person
  // half-remembering a passage would type them: function words and all, no
  // capitals, no punctuation.
  std::string query(std::size_t index, std::size_t chunks) const {
    Random random(stream_seed(seed_, 3, index));
    auto chunk = chunk_words(random.below(chunks));
    std::size_t length = std::min(random.between(3, 10), chunk.words.size());
    std::size_t start = random.below(chunk.words.size() - length + 1);
    std::string text;
    for (std::size_t position = start; position < start + length; ++position) {
      if (!text.empty()) text += ' ';
      text += chunk.words[position];
    }
    return text;
  }

 private:
  static std::size_t sample(const std::vector<double>& cumulative, Random& random) {
    double target = random.uniform() * cumulative.back();
    auto found = std::upper_bound(cumulative.begin(), cumulative.end(), target);
    return std::min(static_cast<std::size_t>(found - cumulative.begin()), cumulative.size() - 1);
  }

  std::string content_word(Random& random, const std::vector<uint32_t>& topic) const {
    // Numbers, years and percentages, which real text carries and the
    // embedder weighs apart.
    if (random.chance(0.02)) {
      switch (random.below(3)) {
        case 0: return std::to_string(random.between(1900, 2024));
        case 1: return std::to_string(random.between(2, 999));
        default: return std::to_string(random.between(1, 99)) + "%";
      }
    }
    if (random.chance(0.25)) return vocabulary_[topic[random.below(topic.size())]];
    return vocabulary_[sample(content_cumulative_, random)];
  }

  uint64_t seed_;
  std::vector<std::string> vocabulary_;
  std::vector<double> content_cumulative_;
  std::vector<double> function_cumulative_;
  std::vector<std::vector<uint32_t>> topics_;
};

// --- measuring ----------------------------------------------------------------

struct Corpus {
  std::vector<std::string> docids;
  std::vector<std::string> texts;
};

std::string to_jsonl(const Corpus& corpus) {
  std::string jsonl;
  for (std::size_t index = 0; index < corpus.texts.size(); ++index) {
    jsonl += nlohmann::json{{"docid", corpus.docids[index]}, {"text", corpus.texts[index]}}.dump();
    jsonl += '\n';
  }
  return jsonl;
}

// Creates the collection and imports `corpus` into it, timing the import from
// the first JSONL byte to the saved index.
json measure_ingest(const weir::Paths& paths, const std::string& name, const Corpus& corpus, bool breakdown) {
  weir::Database database(paths.database);
  weir::LocalEmbedder embedder;
  auto collection = weir::CollectionRepository(database).create(name, embedder.spec(), embedder.dimension(), "");
  std::istringstream input(to_jsonl(corpus));
  uint64_t bytes = 0;
  for (const auto& text : corpus.texts) bytes += text.size();

  double cpu_start = process_cpu_seconds();
  auto start = Clock::now();
  auto report = weir::import_documents(database, paths, name, input, weir::ImportOptions{}, weir::CancelToken());
  double seconds = seconds_since(start);
  double cpu_seconds = process_cpu_seconds() - cpu_start;

  // A broken import that stored nothing would look wonderfully fast.
  auto documents = static_cast<int64_t>(corpus.texts.size());
  if (report.rejected != 0 || report.counts.added != documents)
    throw std::runtime_error("importing " + name + " added " + std::to_string(report.counts.added) + " of " +
                             std::to_string(documents) + " documents (" + std::to_string(report.rejected) +
                             " rejected)");
  auto index_file = weir::index_path(paths.indexes, collection);
  json result = {{"chunks", documents},
                 {"mean_chunk_bytes", bytes / std::max<uint64_t>(1, corpus.texts.size())},
                 {"seconds", round_to(seconds, 3)},
                 {"cpu_seconds", round_to(cpu_seconds, 3)},
                 {"chunks_per_second", std::round(static_cast<double>(documents) / seconds)},
                 {"megabytes_per_second", round_to(static_cast<double>(bytes) / seconds / 1e6, 2)},
                 {"store_megabytes", megabytes(file_size_or_zero(paths.database) +
                                               file_size_or_zero(paths.database + "-wal"))},
                 {"index_megabytes", megabytes(file_size_or_zero(index_file))}};
  if (!breakdown) return result;

  // Where the time goes, measured apart: the embedder alone over the same
  // texts, and the HNSW build alone (the index file removed, so opening it
  // rebuilds from the stored vectors and saves). The rest is parsing, SQLite
  // and FTS5. The parts run after the import, on warm caches, so they are
  // approximate shares, not an exact split. Shares are of CPU time, which a
  // busy shared machine distorts far less than wall time.
  double embedding_cpu_start = process_cpu_seconds();
  auto embedding_start = Clock::now();
  std::vector<float> vector(static_cast<std::size_t>(embedder.dimension()));
  for (const auto& text : corpus.texts) embedder.embed_one(text, weir::EmbeddingRole::document, vector.data());
  double embedding_seconds = seconds_since(embedding_start);
  double embedding_cpu_seconds = process_cpu_seconds() - embedding_cpu_start;
  fs::remove(index_file);
  double index_cpu_start = process_cpu_seconds();
  auto index_start = Clock::now();
  auto opened = weir::open_current_index(database, collection, paths.indexes);
  double index_seconds = seconds_since(index_start);
  double index_cpu_seconds = process_cpu_seconds() - index_cpu_start;
  if (opened.how != weir::IndexOpening::rebuilt) throw std::runtime_error("the index was not rebuilt");
  double rest_cpu_seconds = std::max(0.0, cpu_seconds - embedding_cpu_seconds - index_cpu_seconds);
  result["breakdown"] = {{"embedding_seconds", round_to(embedding_seconds, 3)},
                         {"embedding_cpu_seconds", round_to(embedding_cpu_seconds, 3)},
                         {"index_build_and_save_seconds", round_to(index_seconds, 3)},
                         {"index_build_and_save_cpu_seconds", round_to(index_cpu_seconds, 3)},
                         {"store_and_rest_cpu_seconds", round_to(rest_cpu_seconds, 3)},
                         {"embedding_share", round_to(embedding_cpu_seconds / cpu_seconds, 3)},
                         {"index_build_share", round_to(index_cpu_seconds / cpu_seconds, 3)},
                         {"store_and_rest_share", round_to(rest_cpu_seconds / cpu_seconds, 3)}};
  return result;
}

// Hybrid runs the request's reranker: it is the search users get. The two
// halves run their retriever alone, in its own order (reranker none), so
// they show what each retriever costs and compare engine to engine with
// LanceDB's full-text and vector queries; a text-reading reranker would make
// "dense" partly lexical.
struct Mode {
  std::string name;
  weir::Retrieval retrieval;
  bool own_order;
};

const std::vector<Mode> kModes = {{"hybrid", weir::Retrieval::hybrid, false},
                                  {"lexical", weir::Retrieval::lexical, true},
                                  {"dense", weir::Retrieval::dense, true}};

struct SearchRun {
  json report;
  std::map<std::string, weir::bench::Summary> summaries;            // by mode
  std::map<std::string, std::vector<std::vector<std::string>>> rankings;  // by mode, per query
};

// Opens a fresh connection and Searcher per mode, times hybrid's first search
// (it loads the HNSW index) on its own, then every query in every mode,
// round-robin with each query starting at the next mode so noise and the
// operating system's caches fall on the modes alike. A Searcher and its
// connection remember things between searches (common words, row lengths),
// as a long-running server's do; each mode has its own so that no mode's
// run of a query warms another's run of the same query. `request` supplies
// everything but the terms and the mode.
SearchRun measure_search(const weir::Paths& paths, const std::string& collection, const weir::SearchRequest& request,
                         const std::string& first_query, const std::vector<std::string>& queries) {
  struct Engine {
    weir::Database database;
    weir::Searcher searcher;
    explicit Engine(const weir::Paths& where) : database(where.database), searcher(database, where.indexes) {}
  };
  std::map<std::string, std::unique_ptr<Engine>> engines;
  for (const auto& mode : kModes) engines[mode.name] = std::make_unique<Engine>(paths);
  weir::CancelToken cancel;
  auto run = [&](const std::string& terms, const Mode& mode) {
    weir::SearchRequest one = request;
    one.collections = {collection};
    one.terms = {terms};
    one.retrieval = mode.retrieval;
    if (mode.own_order) one.reranker = weir::Reranker::none;
    return engines[mode.name]->searcher.search(one, cancel);
  };

  auto first_start = Clock::now();
  run(first_query, kModes.front());
  double first_ms = milliseconds_since(first_start);
  for (std::size_t turn = 1; turn < kModes.size(); ++turn) run(first_query, kModes[turn]);

  SearchRun result;
  std::map<std::string, std::vector<double>> samples;
  std::map<std::string, std::size_t> hits_returned;
  std::map<std::string, std::size_t> empty_results;
  for (std::size_t query = 0; query < queries.size(); ++query) {
    for (std::size_t turn = 0; turn < kModes.size(); ++turn) {
      const auto& mode = kModes[(query + turn) % kModes.size()];
      auto start = Clock::now();
      auto hits = run(queries[query], mode);
      samples[mode.name].push_back(milliseconds_since(start));
      hits_returned[mode.name] += hits.size();
      if (hits.empty()) ++empty_results[mode.name];
      std::vector<std::string> ranking;
      for (const auto& hit : hits) ranking.push_back(hit.document.docid);
      result.rankings[mode.name].push_back(std::move(ranking));
    }
  }

  // The query embedding alone, for reading the totals: it is part of every
  // hybrid and dense figure above.
  weir::LocalEmbedder embedder;
  std::vector<float> vector(static_cast<std::size_t>(embedder.dimension()));
  std::vector<double> embedding_ms;
  for (const auto& query : queries) {
    auto start = Clock::now();
    embedder.embed_one(query, weir::EmbeddingRole::query, vector.data());
    embedding_ms.push_back(milliseconds_since(start));
  }

  result.report = {{"queries", queries.size()},
                   {"request",
                    {{"top", request.top},
                     {"min_score", request.min_score},
                     {"reranker", std::string(weir::to_string(request.reranker))}}},
                   {"first_search_ms", weir::bench::round_ms(first_ms)},
                   {"modes", json::object()}};
  for (const auto& mode : kModes) {
    auto summary = weir::bench::summarize(samples[mode.name]);
    result.summaries[mode.name] = summary;
    auto entry = weir::bench::to_json(summary);
    entry["reranker"] = std::string(weir::to_string(mode.own_order ? weir::Reranker::none : request.reranker));
    entry["mean_results"] =
        round_to(static_cast<double>(hits_returned[mode.name]) / static_cast<double>(queries.size()), 2);
    entry["queries_without_results"] = empty_results[mode.name];
    result.report["modes"][mode.name] = entry;
  }
  result.report["query_embedding"] = weir::bench::to_json(weir::bench::summarize(embedding_ms));
  return result;
}

json score(const std::vector<std::vector<std::string>>& rankings, const std::vector<std::string>& query_ids,
           const weir::bench::Judgments& judgments) {
  double ndcg = 0;
  double recall = 0;
  std::size_t judged = 0;
  for (std::size_t index = 0; index < query_ids.size(); ++index) {
    auto found = judgments.find(query_ids[index]);
    if (found == judgments.end()) continue;
    ndcg += weir::bench::ndcg_at(rankings[index], found->second, kRankedResults);
    recall += weir::bench::recall_at(rankings[index], found->second, kRankedResults);
    ++judged;
  }
  double count = static_cast<double>(std::max<std::size_t>(1, judged));
  return {{"ndcg_at_10", round_to(ndcg / count, 4)}, {"recall_at_10", round_to(recall / count, 4)},
          {"judged_queries", judged}};
}

json goal(const std::string& description, double limit, double value, bool met, const std::string& unit) {
  return {{"description", description}, {"limit_" + unit, limit}, {"value_" + unit, value}, {"goal_met", met}};
}

double ratio(double numerator, double denominator) {
  return denominator > 0 ? round_to(numerator / denominator, 3) : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options options = parse_options(argc, argv);
    json report = {{"benchmark", "index"},
                   {"embedder", "local"},
                   {"hardware_threads", std::thread::hardware_concurrency()},
                   {"synthetic_seed", options.seed}};

    // SciFact: ingest, then every test query in every mode, scored.
    auto scifact_documents = weir::bench::load_corpus(options.data + "/corpus.jsonl");
    auto scifact_queries = weir::bench::load_queries(options.data + "/queries.jsonl");
    auto judgments = weir::bench::load_judgments(options.data + "/qrels.tsv");
    Corpus scifact;
    for (const auto& document : scifact_documents) {
      scifact.docids.push_back(document.id);
      scifact.texts.push_back(document.title + "\n" + document.text);
    }
    json scifact_report;
    SearchRun scifact_search;
    std::vector<std::string> query_ids;
    {
      TemporaryHome home(options.temporary_parent, "scifact", options.keep);
      scifact_report["ingest"] = measure_ingest(home.paths(), "scifact", scifact, true);
      if (!options.ingest_only) {
        std::vector<std::string> query_texts;
        for (const auto& query : scifact_queries) {
          query_ids.push_back(query.id);
          query_texts.push_back(query.text);
        }
        // Ten results and the lowest threshold, so the rankings can be
        // scored like LanceDB's (limit 10) and like BEIR's published runs.
        weir::SearchRequest request;
        if (!options.reranker.empty()) request.reranker = weir::parse_reranker(options.reranker);
        request.top = kRankedResults;
        request.min_score = 0.01;
        scifact_search = measure_search(home.paths(), "scifact", request, "vitamin d and bone density in older adults", query_texts);
        scifact_report["search"] = scifact_search.report;
        scifact_report["quality"] = json::object();
        for (const auto& mode : kModes)
          scifact_report["quality"][mode.name] = score(scifact_search.rankings[mode.name], query_ids, judgments);
      }
    }
    report["scifact"] = scifact_report;

    // Synthetic: ingest N chunks, then the default request at that size.
    SyntheticCorpus generator(options.seed);
    Corpus synthetic;
    const auto chunks = static_cast<std::size_t>(options.synthetic);
    for (std::size_t index = 0; index < chunks; ++index) {
      synthetic.docids.push_back("synthetic-" + std::to_string(index));
      synthetic.texts.push_back(generator.chunk_text(index));
    }
    json synthetic_report = {{"sample_chunk", synthetic.texts.front().substr(0, 300)}};
    SearchRun synthetic_search;
    {
      TemporaryHome home(options.temporary_parent, "synthetic", options.keep);
      synthetic_report["ingest"] = measure_ingest(home.paths(), "synthetic", synthetic, options.breakdown);
      synthetic = Corpus{};  // the texts are in the store now; free the memory before searching
      if (!options.ingest_only) {
        std::vector<std::string> queries;
        for (std::size_t index = 0; index < static_cast<std::size_t>(options.queries); ++index)
          queries.push_back(generator.query(index, chunks));
        synthetic_report["sample_queries"] = std::vector<std::string>(queries.begin(), queries.begin() + 3);
        auto first_query = generator.query(static_cast<std::size_t>(options.queries), chunks);
        weir::SearchRequest request;
        if (!options.reranker.empty()) request.reranker = weir::parse_reranker(options.reranker);
        synthetic_search = measure_search(home.paths(), "synthetic", request, first_query, queries);
        synthetic_report["search"] = synthetic_search.report;
      }
    }
    report["synthetic"] = synthetic_report;

    // Goals: the ingest rate on both collections, hybrid latency at 100k.
    json goals = json::object();
    double scifact_rate = report["scifact"]["ingest"]["chunks_per_second"].get<double>();
    double synthetic_rate = report["synthetic"]["ingest"]["chunks_per_second"].get<double>();
    goals["ingest_scifact"] = goal("SciFact import at least 5,000 chunks/s", kGoalChunksPerSecond, scifact_rate,
                                   scifact_rate >= kGoalChunksPerSecond, "chunks_per_second");
    goals["ingest_synthetic"] =
        goal("synthetic import at least 5,000 chunks/s", kGoalChunksPerSecond, synthetic_rate,
             synthetic_rate >= kGoalChunksPerSecond, "chunks_per_second");
    if (!options.ingest_only) {
      const auto& hybrid = synthetic_search.summaries["hybrid"];
      goals["search_p50"] = goal("hybrid search median at most 5 ms", kGoalSearchMedianMs,
                                 weir::bench::round_ms(hybrid.median_ms), hybrid.median_ms <= kGoalSearchMedianMs, "ms");
      goals["search_p99"] = goal("hybrid search p99 at most 20 ms", kGoalSearchP99Ms,
                                 weir::bench::round_ms(hybrid.p99_ms), hybrid.p99_ms <= kGoalSearchP99Ms, "ms");
    }
    bool all_met = true;
    for (const auto& [name, entry] : goals.items()) all_met = all_met && entry["goal_met"].get<bool>();
    report["goals"] = goals;
    report["goal_met"] = all_met;
    if (options.synthetic != kGoalCollectionSize)
      report["note"] = "the search goals are set at 100,000 chunks; this run used " +
                       std::to_string(options.synthetic);

    // LanceDB beside weir on SciFact.
    if (!options.lancedb_skipped.empty()) {
      report["lancedb"] = {{"skipped", options.lancedb_skipped}};
    } else if (!options.lancedb.empty()) {
      std::ifstream file(options.lancedb);
      if (!file) throw std::runtime_error("cannot read " + options.lancedb);
      auto peer = json::parse(file);
      auto rankings = peer["rankings"];
      peer.erase("rankings");
      if (!options.ingest_only) {
        peer["quality"] = json::object();
        for (const auto& [mode, by_query] : rankings.items()) {
          std::vector<std::vector<std::string>> ordered;
          for (const auto& id : query_ids)
            ordered.push_back(by_query.contains(id) ? by_query[id].get<std::vector<std::string>>()
                                                    : std::vector<std::string>());
          peer["quality"][mode] = score(ordered, query_ids, judgments);
        }
      }
      report["lancedb"] = peer;

      // weir over LanceDB: above 1 means weir ingests faster; below 1 means
      // weir's queries are faster. weir's query times include embedding the
      // query; LanceDB was handed the vectors.
      const auto& weir_ingest = report["scifact"]["ingest"];
      const auto& peer_ingest = peer["ingest"];
      json comparison = {
          {"ingest_chunks_per_second_weir_over_lancedb",
           ratio(weir_ingest["chunks_per_second"].get<double>(), peer_ingest["documents_per_second"].get<double>())},
          {"ingest_cpu_seconds_weir_over_lancedb",
           ratio(weir_ingest["cpu_seconds"].get<double>(), peer_ingest["cpu_seconds"].get<double>())}};
      if (!options.ingest_only) {
        const std::vector<std::pair<std::string, std::string>> pairs = {
            {"hybrid", "hybrid"}, {"lexical", "full_text"}, {"dense", "vector"}};
        for (const auto& [weir_mode, peer_mode] : pairs) {
          const auto& mine = scifact_search.summaries[weir_mode];
          const auto& theirs = peer["search"][peer_mode];
          comparison[weir_mode + "_vs_" + peer_mode] = {
              {"weir_median_ms", weir::bench::round_ms(mine.median_ms)},
              {"lancedb_median_ms", theirs["median_ms"]},
              {"median_weir_over_lancedb", ratio(mine.median_ms, theirs["median_ms"].get<double>())},
              {"weir_p99_ms", weir::bench::round_ms(mine.p99_ms)},
              {"lancedb_p99_ms", theirs["p99_ms"]},
              {"p99_weir_over_lancedb", ratio(mine.p99_ms, theirs["p99_ms"].get<double>())},
              {"weir_ndcg_at_10", report["scifact"]["quality"][weir_mode]["ndcg_at_10"]},
              {"lancedb_ndcg_at_10", peer["quality"][peer_mode]["ndcg_at_10"]},
              {"ndcg_at_10_weir_over_lancedb",
               ratio(report["scifact"]["quality"][weir_mode]["ndcg_at_10"].get<double>(),
                     peer["quality"][peer_mode]["ndcg_at_10"].get<double>())}};
        }
      }
      report["comparison"] = comparison;
    }

    std::cout << report.dump(2) << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "weir_bench_index: " << error.what() << '\n';
    return 1;
  }
}
