#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "core/rag/lexical_query.hpp"
#include "core/rag/local_embedder.hpp"

using namespace weir;

namespace {

std::vector<float> embed(const LocalEmbedder& embedder, std::string_view text,
                         EmbeddingRole role = EmbeddingRole::document) {
  std::vector<float> vector(static_cast<std::size_t>(embedder.dimension()));
  embedder.embed_one(text, role, vector.data());
  return vector;
}

double dot(const std::vector<float>& left, const std::vector<float>& right) {
  double sum = 0;
  for (std::size_t index = 0; index < left.size(); ++index) sum += static_cast<double>(left[index]) * right[index];
  return sum;
}

double norm(const std::vector<float>& vector) { return std::sqrt(dot(vector, vector)); }

// Recorded from the shipped embedder; see the pinning test below.
constexpr double kPinnedChecksum = 4.102116042;

const std::string kAbstract =
    "Alterations of the architecture of cerebral white matter in the developing human brain can affect cortical "
    "development and result in functional disabilities. A line scan diffusion-weighted magnetic resonance imaging "
    "sequence with diffusion tensor analysis was applied to measure the apparent diffusion coefficient, to calculate "
    "relative anisotropy, and to delineate three-dimensional fiber architecture in cerebral white matter in preterm "
    "and full-term infants. To assess effects of prematurity on cerebral white matter development, early gestation "
    "preterm infants were studied a second time at term. In the central white matter the mean apparent diffusion "
    "coefficient at 28 weeks was high and decreased toward term. Relative anisotropy was higher closer to birth.";

}  // namespace

TEST_CASE("the local embedder is deterministic, across instances and threads") {
  LocalEmbedder first;
  LocalEmbedder second;
  auto expected = embed(first, kAbstract);
  CHECK(embed(first, kAbstract) == expected);
  CHECK(embed(second, kAbstract) == expected);
  std::vector<float> from_thread;
  std::thread worker([&] { from_thread = embed(second, kAbstract); });
  worker.join();
  CHECK(from_thread == expected);
  // Scratch space reused after a different text must not leak into the next.
  embed(first, "something else entirely, much shorter");
  CHECK(embed(first, kAbstract) == expected);
}

TEST_CASE("the local embedder's vectors do not change between builds or machines") {
  // Pinned values: a change here invalidates every persisted local index, so
  // it must come with a new embedder spec, never silently.
  LocalEmbedder embedder(64);
  auto vector = embed(embedder, "Diffusion tensor imaging of white matter");
  double checksum = 0;
  for (std::size_t index = 0; index < vector.size(); ++index)
    checksum += vector[index] * static_cast<double>(index + 1);
  CHECK(norm(vector) == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(checksum == doctest::Approx(kPinnedChecksum).epsilon(1e-5));
}

TEST_CASE("local embeddings have unit length, or are all zeros without features") {
  LocalEmbedder embedder;
  CHECK(embedder.dimension() == LocalEmbedder::kDefaultDimension);
  CHECK(embedder.spec() == "local");
  for (std::string text : {kAbstract, std::string("p53"), std::string("Ünïcödé wörds — “quoted”"),
                           std::string(10000, 'x'), std::string("a\xff\xfe broken \xc3 utf-8")})
    CHECK(norm(embed(embedder, text)) == doctest::Approx(1.0).epsilon(1e-5));
  for (std::string text : {std::string(), std::string("   \n\t"), std::string("!!! ... ???"), std::string("the of and")})
    CHECK(norm(embed(embedder, text)) == 0.0);
}

TEST_CASE("similar texts are closer than unrelated ones") {
  LocalEmbedder embedder;
  auto document = embed(embedder, kAbstract);
  auto related = embed(embedder, "diffusion anisotropy of cerebral white matter in preterm infants", EmbeddingRole::query);
  auto inflected = embed(embedder, "diffusional anisotropic cerebrum whitematter preterm infant", EmbeddingRole::query);
  auto unrelated = embed(embedder, "quarterly revenue of the retail banking division", EmbeddingRole::query);
  CHECK(dot(document, related) > 0.2);
  CHECK(dot(document, related) > dot(document, unrelated) + 0.15);
  // Character n-grams carry inflections and joined words that exact terms miss.
  CHECK(dot(document, inflected) > dot(document, unrelated) + 0.1);
  CHECK(std::abs(dot(document, unrelated)) < 0.1);
}

TEST_CASE("the local embedder's dimension is configurable and validated") {
  CHECK(LocalEmbedder(256).dimension() == 256);
  CHECK(LocalEmbedder(0).dimension() == LocalEmbedder::kDefaultDimension);
  CHECK_THROWS_AS(LocalEmbedder(4), Error);
  CHECK_THROWS_AS(LocalEmbedder(100000), Error);
}

TEST_CASE("embed() returns one vector per text and honours cancellation") {
  LocalEmbedder embedder(128);
  CancelToken cancel;
  auto vectors = embedder.embed({"first text", "", "third text"}, EmbeddingRole::document, cancel);
  REQUIRE(vectors.size() == 3);
  CHECK(vectors[0].size() == 128);
  CHECK(vectors[0] == embed(embedder, "first text"));
  CHECK(norm(vectors[1]) == 0.0);
  cancel.cancel();
  CHECK_THROWS_AS(embedder.embed({"a"}, EmbeddingRole::document, cancel), Error);
}

TEST_CASE("the local embedder is fast enough for bulk import") {
  // The goal is 20,000 abstract-sized texts a second on one core in a release
  // build; this sanity check leaves a wide margin for sanitizers and busy CI.
  LocalEmbedder embedder;
  std::vector<float> out(static_cast<std::size_t>(embedder.dimension()));
  const int texts = 500;
  auto start = std::chrono::steady_clock::now();
  for (int index = 0; index < texts; ++index)
    embedder.embed_one(kAbstract + std::to_string(index), EmbeddingRole::document, out.data());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("local embedder: " << texts / seconds << " abstracts per second");
  CHECK(texts / seconds > 500);
}
