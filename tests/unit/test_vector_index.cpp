#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/rag/vector_index.hpp"

using namespace weir;

namespace {

// The index scores 8-bit quantised vectors (vector_index.hpp's contract).
constexpr float kQuantisationError = 0.01f;

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("weir-vector-index-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Rows of `dimension` floats, each of unit length.
std::vector<float> random_unit_vectors(size_t count, int dimension, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> vectors(count * static_cast<size_t>(dimension));
  for (size_t row = 0; row < count; ++row) {
    float* vector = vectors.data() + row * static_cast<size_t>(dimension);
    double squared_norm = 0;
    for (int column = 0; column < dimension; ++column) {
      vector[column] = normal(generator);
      squared_norm += static_cast<double>(vector[column]) * vector[column];
    }
    auto scale = static_cast<float>(1.0 / std::sqrt(squared_norm));
    for (int column = 0; column < dimension; ++column) vector[column] *= scale;
  }
  return vectors;
}

float dot(const float* left, const float* right, int dimension) {
  float sum = 0;
  for (int column = 0; column < dimension; ++column) sum += left[column] * right[column];
  return sum;
}

// Labels of the k rows most similar to `query`, by exhaustive scan.
std::vector<int64_t> exact_top(const std::vector<float>& vectors, const std::vector<int64_t>& labels,
                               const float* query, int dimension, size_t k) {
  std::vector<std::pair<float, int64_t>> scored;
  for (size_t row = 0; row < labels.size(); ++row)
    scored.emplace_back(dot(vectors.data() + row * static_cast<size_t>(dimension), query, dimension), labels[row]);
  size_t kept = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(kept), scored.end(),
                    [](const auto& left, const auto& right) { return left.first > right.first; });
  std::vector<int64_t> result;
  for (size_t index = 0; index < kept; ++index) result.push_back(scored[index].second);
  return result;
}

std::vector<int64_t> labels_of(const std::vector<VectorHit>& hits) {
  std::vector<int64_t> labels;
  for (const auto& hit : hits) labels.push_back(hit.label);
  return labels;
}

bool best_first(const std::vector<VectorHit>& hits) {
  return std::is_sorted(hits.begin(), hits.end(), [](const VectorHit& left, const VectorHit& right) {
    return left.similarity > right.similarity;
  });
}

std::string read_bytes(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream output(path, std::ios::binary | std::ios::trunc);
  output.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// An index of `count` random vectors labelled 1000, 1001, ...
struct Fixture {
  int dimension;
  std::vector<float> vectors;
  std::vector<int64_t> labels;
  VectorIndex index;

  Fixture(size_t count, int dimension_value, unsigned seed)
      : dimension(dimension_value), vectors(random_unit_vectors(count, dimension_value, seed)),
        index(dimension_value) {
    for (size_t row = 0; row < count; ++row) {
      labels.push_back(1000 + static_cast<int64_t>(row));
      index.upsert(labels.back(), row_vector(row));
    }
  }
  const float* row_vector(size_t row) const { return vectors.data() + row * static_cast<size_t>(dimension); }
};

}  // namespace

TEST_CASE("vector index: search agrees with an exhaustive scan") {
  // Past the initial capacity, so growth is exercised too.
  Fixture fixture(3000, 32, 7);
  CHECK(fixture.index.live_count() == 3000);
  CHECK(fixture.index.deleted_count() == 0);

  auto queries = random_unit_vectors(100, fixture.dimension, 8);
  size_t found = 0;
  for (size_t query = 0; query < 100; ++query) {
    const float* vector = queries.data() + query * static_cast<size_t>(fixture.dimension);
    auto hits = fixture.index.search(vector, 10);
    REQUIRE(hits.size() == 10);
    CHECK(best_first(hits));
    for (const auto& hit : hits) {
      auto row = static_cast<size_t>(hit.label - 1000);
      CHECK(std::fabs(hit.similarity - dot(fixture.row_vector(row), vector, fixture.dimension)) < kQuantisationError);
    }
    auto exact = exact_top(fixture.vectors, fixture.labels, vector, fixture.dimension, 10);
    std::set<int64_t> expected(exact.begin(), exact.end());
    for (int64_t label : labels_of(hits)) found += expected.count(label);
  }
  double recall = static_cast<double>(found) / 1000.0;
  MESSAGE("recall@10 = " << recall);
  CHECK(recall >= 0.95);

  // A stored vector is its own best match, with similarity 1.
  auto self = fixture.index.search(fixture.row_vector(42), 1);
  REQUIRE(self.size() == 1);
  CHECK(self[0].label == 1042);
  CHECK(self[0].similarity == doctest::Approx(1.0f).epsilon(1e-5));
}

TEST_CASE("vector index: upsert_many inserts in parallel with the same recall, and keeps upsert's rules") {
  const int dimension = 32;
  const size_t count = 6000;  // enough for several insertion threads
  auto vectors = random_unit_vectors(count, dimension, 11);
  std::vector<int64_t> labels;
  for (size_t row = 0; row < count; ++row) labels.push_back(5000 + static_cast<int64_t>(row));
  VectorIndex index(dimension);
  index.upsert_many(labels, vectors.data());
  CHECK(index.live_count() == count);
  CHECK(index.deleted_count() == 0);

  auto queries = random_unit_vectors(100, dimension, 12);
  size_t found = 0;
  for (size_t query = 0; query < 100; ++query) {
    const float* vector = queries.data() + query * static_cast<size_t>(dimension);
    auto hits = index.search(vector, 10);
    REQUIRE(hits.size() == 10);
    auto exact = exact_top(vectors, labels, vector, dimension, 10);
    std::set<int64_t> expected(exact.begin(), exact.end());
    for (int64_t label : labels_of(hits)) found += expected.count(label);
  }
  double recall = static_cast<double>(found) / 1000.0;
  MESSAGE("recall@10 after a parallel build = " << recall);
  CHECK(recall >= 0.95);

  // A second batch: a known label with a new vector (a tombstone), the same
  // vector again (no change), a label twice (the later wins), a new label.
  auto more = random_unit_vectors(3, dimension, 13);
  std::vector<float> batch;
  batch.insert(batch.end(), more.begin(), more.begin() + dimension);                       // 5000: replaced
  batch.insert(batch.end(), vectors.begin() + dimension, vectors.begin() + 2 * dimension);  // 5001: unchanged
  batch.insert(batch.end(), more.begin() + dimension, more.begin() + 2 * dimension);       // 99: new
  batch.insert(batch.end(), more.begin() + 2 * dimension, more.end());                     // 99: again, wins
  index.upsert_many({5000, 5001, 99, 99}, batch.data());
  CHECK(index.live_count() == count + 1);
  CHECK(index.deleted_count() == 2);  // 5000's old vector and 99's first one
  auto replaced = index.search(more.data(), 1);
  REQUIRE(replaced.size() == 1);
  CHECK(replaced[0].label == 5000);
  auto twice = index.search(more.data() + 2 * dimension, 1);
  REQUIRE(twice.size() == 1);
  CHECK(twice[0].label == 99);
  CHECK(twice[0].similarity == doctest::Approx(1.0f).epsilon(1e-5));

  std::vector<float> bad(static_cast<size_t>(dimension), std::numeric_limits<float>::quiet_NaN());
  CHECK_THROWS_AS(index.upsert_many({77}, bad.data()), weir::Error);
  CHECK_FALSE(index.contains(77));
}

TEST_CASE("vector index: vectors are normalised, similarity is cosine in [-1, 1]") {
  VectorIndex index(4);
  const float along_x[] = {3, 0, 0, 0};
  const float against_x[] = {-0.5f, 0, 0, 0};
  const float diagonal[] = {1, 1, 0, 0};
  index.upsert(1, along_x);
  index.upsert(2, against_x);
  index.upsert(3, diagonal);
  const float query[] = {10, 0, 0, 0};
  auto hits = index.search(query, 3);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].label == 1);
  CHECK(hits[0].similarity == doctest::Approx(1.0f));
  CHECK(hits[1].label == 3);
  CHECK(hits[1].similarity == doctest::Approx(std::sqrt(0.5f)));
  CHECK(hits[2].label == 2);
  CHECK(hits[2].similarity == doctest::Approx(-1.0f));
  for (const auto& hit : hits) CHECK((hit.similarity >= -1.0f && hit.similarity <= 1.0f));
}

TEST_CASE("vector index: invalid dimensions and non-finite vectors are usage errors") {
  CHECK_THROWS_AS(VectorIndex(0), Error);
  CHECK_THROWS_AS(VectorIndex(-3), Error);
  VectorIndex index(2);
  const float broken[] = {std::numeric_limits<float>::quiet_NaN(), 1};
  CHECK_THROWS_AS(index.upsert(1, broken), Error);
  CHECK_FALSE(index.contains(1));
  const float fine[] = {1, 0};
  index.upsert(1, fine);
  CHECK_THROWS_AS(index.search(broken, 1), Error);
}

TEST_CASE("vector index: upsert of a known label replaces its vector") {
  Fixture fixture(600, 16, 11);
  auto replacement = random_unit_vectors(1, fixture.dimension, 12);
  const float* original = fixture.row_vector(5);

  fixture.index.upsert(1005, replacement.data());
  CHECK(fixture.index.live_count() == 600);
  CHECK(fixture.index.contains(1005));
  // The old vector stays behind as a tombstone until a rebuild.
  CHECK(fixture.index.deleted_count() == 1);

  auto by_new = fixture.index.search(replacement.data(), 1);
  REQUIRE(by_new.size() == 1);
  CHECK(by_new[0].label == 1005);
  CHECK(by_new[0].similarity == doctest::Approx(1.0f).epsilon(1e-5));

  // The old vector is gone: label 1005 now scores dot(old, new) against it.
  auto by_old = fixture.index.search(original, 600);
  REQUIRE(by_old.size() == 600);
  CHECK(by_old[0].label != 1005);
  auto entry = std::find_if(by_old.begin(), by_old.end(), [](const VectorHit& hit) { return hit.label == 1005; });
  REQUIRE(entry != by_old.end());
  CHECK(std::fabs(entry->similarity - dot(original, replacement.data(), fixture.dimension)) < kQuantisationError);
  auto old_labels = labels_of(by_old);
  std::set<int64_t> distinct(old_labels.begin(), old_labels.end());
  CHECK(distinct.size() == 600);
}

TEST_CASE("vector index: replacing every vector, the entry point included") {
  Fixture fixture(300, 16, 15);
  auto replacements = random_unit_vectors(300, 16, 16);
  for (size_t row = 0; row < 300; ++row)
    fixture.index.upsert(1000 + static_cast<int64_t>(row), replacements.data() + row * 16);
  CHECK(fixture.index.live_count() == 300);
  CHECK(fixture.index.deleted_count() == 300);
  size_t own_best = 0;
  for (size_t row = 0; row < 300; ++row) {
    auto hits = fixture.index.search(replacements.data() + row * 16, 1);
    REQUIRE(hits.size() == 1);
    own_best += hits[0].label == 1000 + static_cast<int64_t>(row);
  }
  CHECK(own_best == 300);
  auto all = fixture.index.search(replacements.data(), 1000);
  CHECK(all.size() == 300);
}

TEST_CASE("vector index: remove hides a label, upsert brings it back") {
  Fixture fixture(200, 8, 21);
  CHECK(fixture.index.contains(1010));
  CHECK_FALSE(fixture.index.contains(5));

  fixture.index.remove(1010);
  CHECK_FALSE(fixture.index.contains(1010));
  CHECK(fixture.index.live_count() == 199);
  CHECK(fixture.index.deleted_count() == 1);
  // Removing twice, or removing what was never there, changes nothing.
  fixture.index.remove(1010);
  fixture.index.remove(5);
  CHECK(fixture.index.live_count() == 199);
  CHECK(fixture.index.deleted_count() == 1);

  auto hits = fixture.index.search(fixture.row_vector(10), 200);
  CHECK(hits.size() == 199);
  for (const auto& hit : hits) CHECK(hit.label != 1010);

  // Upserting the vector it already had neither duplicates nor tombstones.
  fixture.index.upsert(1011, fixture.row_vector(11));
  CHECK(fixture.index.live_count() == 199);
  CHECK(fixture.index.deleted_count() == 1);
  fixture.index.remove(1011);
  fixture.index.upsert(1011, fixture.row_vector(11));
  CHECK(fixture.index.contains(1011));
  CHECK(fixture.index.live_count() == 199);
  CHECK(fixture.index.deleted_count() == 1);
  auto same = fixture.index.search(fixture.row_vector(11), 1);
  REQUIRE(same.size() == 1);
  CHECK(same[0].label == 1011);

  auto revived = random_unit_vectors(1, fixture.dimension, 22);
  fixture.index.upsert(1010, revived.data());
  CHECK(fixture.index.contains(1010));
  CHECK(fixture.index.live_count() == 200);
  CHECK(fixture.index.deleted_count() == 1);
  auto top = fixture.index.search(revived.data(), 1);
  REQUIRE(top.size() == 1);
  CHECK(top[0].label == 1010);
}

TEST_CASE("vector index: k beyond the live count returns every live vector") {
  Fixture fixture(10, 8, 31);
  for (int64_t label : {1001, 1004, 1007}) fixture.index.remove(label);
  auto hits = fixture.index.search(fixture.row_vector(0), 50);
  CHECK(hits.size() == 7);
  CHECK(best_first(hits));
  auto hit_labels = labels_of(hits);
  std::set<int64_t> labels(hit_labels.begin(), hit_labels.end());
  CHECK(labels == std::set<int64_t>{1000, 1002, 1003, 1005, 1006, 1008, 1009});
  CHECK(fixture.index.search(fixture.row_vector(0), 0).empty());
  CHECK(fixture.index.search(fixture.row_vector(0), 7, 1).size() == 7);

  for (int64_t label : fixture.labels) fixture.index.remove(label);
  CHECK(fixture.index.live_count() == 0);
  CHECK(fixture.index.search(fixture.row_vector(0), 5).empty());

  VectorIndex empty(8);
  CHECK(empty.search(fixture.row_vector(0), 5).empty());
}

TEST_CASE("vector index: compaction is wanted once many deletions are a real share") {
  // 1000 deletions are always too few, even when they are most of the index.
  Fixture small(1500, 4, 41);
  for (int64_t label = 1000; label < 2000; ++label) small.index.remove(label);
  CHECK_FALSE(small.index.needs_compaction());
  small.index.remove(2000);
  CHECK(small.index.needs_compaction());

  // More than 1000 deletions are not enough while they are at most 20 %.
  Fixture large(5100, 4, 42);
  for (int64_t label = 1000; label < 2020; ++label) large.index.remove(label);
  CHECK_FALSE(large.index.needs_compaction());  // 1020 of 5100 is exactly 20 %
  large.index.remove(2020);
  CHECK(large.index.needs_compaction());
}

TEST_CASE("vector index: save and load round-trip") {
  TemporaryDirectory directory;
  std::string path = directory.file("collection.hnsw");
  Fixture fixture(1500, 24, 51);
  for (int64_t label = 1000; label < 1100; ++label) fixture.index.remove(label);
  fixture.index.set_generation(42);
  fixture.index.save(path);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp-" + std::to_string(::getpid())));

  auto loaded = VectorIndex::load(path, 24);
  REQUIRE(loaded != nullptr);
  CHECK(loaded->dimension() == 24);
  CHECK(loaded->generation() == 42);
  CHECK(loaded->live_count() == 1400);
  CHECK(loaded->deleted_count() == 100);
  CHECK_FALSE(loaded->contains(1050));
  CHECK(loaded->contains(1100));

  auto queries = random_unit_vectors(20, 24, 52);
  for (size_t query = 0; query < 20; ++query) {
    const float* vector = queries.data() + query * 24;
    auto before = fixture.index.search(vector, 10);
    auto after = loaded->search(vector, 10);
    REQUIRE(before.size() == after.size());
    for (size_t index = 0; index < before.size(); ++index) {
      CHECK(before[index].label == after[index].label);
      CHECK(before[index].similarity == after[index].similarity);
    }
  }

  // The loaded graph keeps working: it grows, replaces and saves again.
  auto more = random_unit_vectors(600, 24, 53);
  for (size_t row = 0; row < 600; ++row) loaded->upsert(5000 + static_cast<int64_t>(row), more.data() + row * 24);
  loaded->upsert(1050, more.data());
  auto replacement = random_unit_vectors(1, 24, 54);
  loaded->upsert(1200, replacement.data());
  CHECK(loaded->live_count() == 2001);
  CHECK(loaded->deleted_count() == 101);
  auto hits = loaded->search(more.data() + 24 * 599, 1);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].label == 5599);
  loaded->set_generation(43);
  loaded->save(path);
  // Replaced labels now have a tombstone and a live node each.
  auto reloaded = VectorIndex::load(path, 24);
  REQUIRE(reloaded != nullptr);
  CHECK(reloaded->generation() == 43);
  CHECK(reloaded->live_count() == 2001);
  CHECK(reloaded->deleted_count() == 101);
  CHECK(reloaded->contains(1050));
  CHECK(reloaded->contains(1200));
  auto replaced = reloaded->search(replacement.data(), 2);
  REQUIRE(replaced.size() == 2);
  CHECK(replaced[0].label == 1200);
  CHECK(replaced[1].label != 1200);
  reloaded->remove(1200);
  CHECK_FALSE(reloaded->contains(1200));
  CHECK(reloaded->live_count() == 2000);

  // An empty index round-trips too.
  VectorIndex empty(24, 7);
  empty.save(path);
  auto loaded_empty = VectorIndex::load(path, 24);
  REQUIRE(loaded_empty != nullptr);
  CHECK(loaded_empty->generation() == 7);
  CHECK(loaded_empty->live_count() == 0);
  CHECK(loaded_empty->search(queries.data(), 3).empty());
}

TEST_CASE("vector index: damaged or foreign files load as nullptr") {
  TemporaryDirectory directory;
  std::string path = directory.file("collection.hnsw");
  // doctest reruns the body for every subcase; build and save only once.
  static const std::string good = [&directory] {
    std::string original = directory.file("original.hnsw");
    Fixture fixture(300, 16, 61);
    fixture.index.remove(1003);
    fixture.index.save(original);
    return read_bytes(original);
  }();
  REQUIRE(good.size() > 300 * 16 * 4);
  write_bytes(path, good);
  REQUIRE(VectorIndex::load(path, 16) != nullptr);

  SUBCASE("missing") { CHECK(VectorIndex::load(directory.file("absent.hnsw"), 16) == nullptr); }
  SUBCASE("a directory") { CHECK(VectorIndex::load(directory.file(""), 16) == nullptr); }
  SUBCASE("empty") {
    write_bytes(path, "");
    CHECK(VectorIndex::load(path, 16) == nullptr);
  }
  SUBCASE("another dimension") {
    CHECK(VectorIndex::load(path, 15) == nullptr);
    CHECK(VectorIndex::load(path, 32) == nullptr);
    CHECK(VectorIndex::load(path, 0) == nullptr);
  }
  SUBCASE("truncated") {
    // Inside the header, inside hnswlib's scalars, inside level 0, in the
    // upper levels, and one byte short.
    for (size_t length : {size_t{1}, size_t{30}, size_t{56}, size_t{100}, size_t{152}, good.size() / 2,
                          good.size() - 200, good.size() - 1}) {
      write_bytes(path, good.substr(0, length));
      CHECK_MESSAGE(VectorIndex::load(path, 16) == nullptr, "cut at " << length);
    }
  }
  SUBCASE("extended") {
    write_bytes(path, good + std::string(8, '\0'));
    CHECK(VectorIndex::load(path, 16) == nullptr);
  }
  SUBCASE("one flipped byte anywhere") {
    std::mt19937 generator(62);
    std::vector<size_t> positions = {0, 9, 13, 17, 25, 33, 41, 49, 60, 100, 160, good.size() - 1};
    std::uniform_int_distribution<size_t> anywhere(0, good.size() - 1);
    for (int draw = 0; draw < 40; ++draw) positions.push_back(anywhere(generator));
    for (size_t position : positions) {
      std::string damaged = good;
      damaged[position] = static_cast<char>(damaged[position] ^ 0x10);
      write_bytes(path, damaged);
      CHECK_MESSAGE(VectorIndex::load(path, 16) == nullptr, "flipped byte " << position);
    }
  }
  SUBCASE("garbage") {
    std::mt19937 generator(63);
    std::uniform_int_distribution<int> byte(0, 255);
    for (size_t size : {size_t{7}, size_t{56}, size_t{200}, size_t{4096}, good.size()}) {
      std::string garbage(size, '\0');
      for (char& character : garbage) character = static_cast<char>(byte(generator));
      write_bytes(path, garbage);
      CHECK(VectorIndex::load(path, 16) == nullptr);
      // Garbage behind a genuine header opening.
      write_bytes(path, good.substr(0, 56) + garbage);
      CHECK(VectorIndex::load(path, 16) == nullptr);
    }
  }
}

TEST_CASE("vector index: save is atomic") {
  TemporaryDirectory directory;
  std::string path = directory.file("collection.hnsw");
  std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  Fixture fixture(200, 8, 71);
  fixture.index.set_generation(1);
  fixture.index.save(path);

  SUBCASE("a failed save leaves the old file in place") {
    // Something unwritable where the temporary file goes makes the save fail
    // before the rename, even for root.
    std::filesystem::create_directory(temporary);
    fixture.index.set_generation(2);
    CHECK_THROWS_AS(fixture.index.save(path), Error);
    auto survivor = VectorIndex::load(path, 8);
    REQUIRE(survivor != nullptr);
    CHECK(survivor->generation() == 1);
    CHECK(std::filesystem::is_directory(temporary));
  }
  SUBCASE("a leftover temporary file from a crash changes nothing") {
    write_bytes(path + ".tmp-1", "half of an index");
    write_bytes(temporary, "half of an index");
    auto loaded = VectorIndex::load(path, 8);
    REQUIRE(loaded != nullptr);
    CHECK(loaded->generation() == 1);
    fixture.index.set_generation(2);
    fixture.index.save(path);
    auto replaced = VectorIndex::load(path, 8);
    REQUIRE(replaced != nullptr);
    CHECK(replaced->generation() == 2);
    CHECK_FALSE(std::filesystem::exists(temporary));
  }
  SUBCASE("a missing directory is an error, not a crash") {
    CHECK_THROWS_AS(fixture.index.save(directory.file("no/such/dir/index.hnsw")), Error);
  }
}

TEST_CASE("vector index: concurrent searches agree with sequential ones") {
  Fixture fixture(1000, 16, 81);
  for (int64_t label = 1000; label < 1050; ++label) fixture.index.remove(label);
  auto queries = random_unit_vectors(64, 16, 82);
  std::vector<std::vector<int64_t>> expected;
  for (size_t query = 0; query < 64; ++query)
    expected.push_back(labels_of(fixture.index.search(queries.data() + query * 16, 10, 16 + query)));

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t thread = 0; thread < 4; ++thread)
    threads.emplace_back([&, thread] {
      for (int round = 0; round < 3; ++round)
        for (size_t query = 0; query < 64; ++query)
          if (labels_of(fixture.index.search(queries.data() + query * 16, 10, 16 + query)) != expected[query])
            ++mismatches[thread];
    });
  for (auto& thread : threads) thread.join();
  for (int count : mismatches) CHECK(count == 0);
}

// A dimension that is not a multiple of 4 pads each stored vector, so the
// graph's link lists stay aligned (UndefinedBehaviorSanitizer checks the
// reads); search, parallel insertion and a save/load round trip must all
// behave as at any other dimension.
TEST_CASE("vector index: odd dimensions") {
  for (int dimension : {1, 5, 66, 129}) {
    INFO("dimension " << dimension);
    const size_t count = 5000;
    auto vectors = random_unit_vectors(count, dimension, 61);
    std::vector<int64_t> labels;
    for (size_t row = 0; row < count; ++row) labels.push_back(static_cast<int64_t>(row) + 1);
    VectorIndex index(dimension);
    index.upsert_many(labels, vectors.data());
    CHECK(index.live_count() == count);
    auto self = index.search(vectors.data() + 7 * static_cast<size_t>(dimension), 1, 200);
    REQUIRE(self.size() == 1);
    CHECK(self[0].similarity == doctest::Approx(1.0f).epsilon(1e-5));

    TemporaryDirectory directory;
    index.save(directory.file("odd.hnsw"));
    auto loaded = VectorIndex::load(directory.file("odd.hnsw"), dimension);
    REQUIRE(loaded != nullptr);
    CHECK(loaded->live_count() == count);
    auto again = loaded->search(vectors.data() + 7 * static_cast<size_t>(dimension), 5, 200);
    REQUIRE(again.size() == 5);
    CHECK(again[0].similarity == doctest::Approx(1.0f).epsilon(1e-5));
  }
}
