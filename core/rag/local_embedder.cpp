#include "core/rag/local_embedder.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/rag/lexical_query.hpp"

namespace weir {

namespace {

// Distinct seeds keep the three feature families apart even when, say, a
// one-letter word and a character trigram happen to pack to the same bytes.
constexpr uint64_t kWordSeed = 0x243F6A8885A308D3ull;
constexpr uint64_t kPairSeed = 0x13198A2E03707344ull;
constexpr uint64_t kCharacterSeed = 0xA4093822299F31D0ull;
constexpr uint64_t kGoldenRatio = 0x9E3779B97F4A7C15ull;

// A 64-bit finaliser (xor-shift, multiply, twice): every input bit reaches
// every output bit, which both the bucket and the sign need.
constexpr uint64_t mix(uint64_t value) {
  value ^= value >> 32;
  value *= 0xD6E8FEB86659FD93ull;
  value ^= value >> 32;
  value *= 0xD6E8FEB86659FD93ull;
  value ^= value >> 32;
  return value;
}

// Bytes are assembled little-endian by hand so big-endian machines hash alike.
uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
  uint64_t state = seed ^ (bytes.size() * kGoldenRatio);
  std::size_t position = 0;
  while (position < bytes.size()) {
    uint64_t chunk = 0;
    std::size_t length = std::min<std::size_t>(8, bytes.size() - position);
    for (std::size_t index = 0; index < length; ++index)
      chunk |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[position + index])) << (8 * index);
    state = mix(state ^ chunk) + kGoldenRatio;
    position += length;
  }
  return mix(state);
}

struct Feature {
  uint64_t key = 0;  // 0 marks an empty slot
  uint32_t count = 0;
  uint32_t word_offset = 0;  // the first spelling seen, in Scratch::spellings
  uint32_t word_length = 0;  // 0 for a word pair
};

// Per-thread working memory, so embed_one() allocates only while a thread
// meets its longest text so far.
struct Scratch {
  std::vector<Feature> table = std::vector<Feature>(1024);
  std::vector<uint32_t> used;  // occupied slots, for iteration and clearing
  std::string spellings;
  std::string word;
  std::string stem_storage;
  std::string ngram_buffer;
};

thread_local Scratch scratch;

void grow(Scratch& space);

Feature& find_or_insert(Scratch& space, uint64_t key) {
  if (key == 0) key = kGoldenRatio;  // 0 is the empty marker
  for (;;) {
    const std::size_t mask = space.table.size() - 1;
    std::size_t slot = static_cast<std::size_t>(key) & mask;
    while (space.table[slot].key != 0 && space.table[slot].key != key) slot = (slot + 1) & mask;
    if (space.table[slot].key == key) return space.table[slot];
    // Keep probes short: at most half full.
    if (2 * (space.used.size() + 1) > space.table.size()) {
      grow(space);
      continue;
    }
    space.table[slot].key = key;
    space.used.push_back(static_cast<uint32_t>(slot));
    return space.table[slot];
  }
}

void grow(Scratch& space) {
  std::vector<Feature> old = std::move(space.table);
  std::vector<uint32_t> old_used = std::move(space.used);
  space.table.assign(old.size() * 2, Feature{});
  space.used.clear();
  for (uint32_t slot : old_used) {
    const Feature& feature = old[slot];
    Feature& moved = find_or_insert(space, feature.key);
    moved = feature;
  }
}

void clear(Scratch& space) {
  for (uint32_t slot : space.used) space.table[slot] = Feature{};
  space.used.clear();
  space.spellings.clear();
}

// Adds ±weight to the feature's bucket: the top bit picks the sign so that
// colliding features cancel on average instead of piling up.
inline void add_feature(float* out, uint32_t dimension, uint64_t key, float weight) {
  const auto bucket = static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(key)) * dimension) >> 32);
  out[bucket] += (key >> 63) != 0 ? -weight : weight;
}

constexpr uint64_t byte_swap(uint64_t value) {
  uint64_t swapped = 0;
  for (int index = 0; index < 8; ++index) swapped = (swapped << 8) | ((value >> (8 * index)) & 0xFF);
  return swapped;
}

// One multiply and a fold: character n-grams are the bulk of the features,
// and their packed bytes are already well spread.
inline uint64_t mix_ngram(uint64_t packed) {
  uint64_t value = (packed ^ kCharacterSeed) * kGoldenRatio;
  return value ^ (value >> 32);
}

void add_character_ngrams(float* out, uint32_t dimension, std::string_view word, float weight, int shortest,
                          int longest, std::string& buffer) {
  // Boundary marks make prefixes and suffixes features of their own; control
  // bytes never occur inside a word, so they cannot be confused with letters.
  // Eight zero bytes of padding let every n-gram be read as one 64-bit load.
  buffer.assign(1, '\x01');
  buffer.append(word);
  buffer.push_back('\x02');
  const std::size_t marked_length = buffer.size();
  buffer.append(8, '\0');
  std::size_t total = 0;
  for (int length = shortest; length <= longest; ++length)
    if (marked_length >= static_cast<std::size_t>(length)) total += marked_length - static_cast<std::size_t>(length) + 1;
  if (total == 0) return;
  // The word's weight is spread so its n-grams together have norm `weight`.
  const float each = weight / std::sqrt(static_cast<float>(total));
  const auto* bytes = reinterpret_cast<const unsigned char*>(buffer.data());
  for (std::size_t start = 0; start + static_cast<std::size_t>(shortest) <= marked_length; ++start) {
    uint64_t window = 0;
    std::memcpy(&window, bytes + start, sizeof window);
    if constexpr (std::endian::native == std::endian::big) window = byte_swap(window);
    for (int length = shortest; length <= longest; ++length) {
      const auto span = static_cast<std::size_t>(length);
      if (start + span > marked_length) break;
      const uint64_t packed = span == 8 ? window : window & ((uint64_t{1} << (8 * span)) - 1);
      add_feature(out, dimension, mix_ngram(packed), each);
    }
  }
}

}  // namespace

LocalEmbedder::LocalEmbedder(int dimension) : LocalEmbedder(dimension, LocalEmbedderTuning{}) {}

LocalEmbedder::LocalEmbedder(int dimension, const LocalEmbedderTuning& tuning)
    : dimension_(dimension == 0 ? kDefaultDimension : dimension), tuning_(tuning) {
  if (dimension_ < 16 || dimension_ > 8192)
    throw Error(ErrorKind::usage, "the local embedder's dimension must be between 16 and 8192 (got " +
                                      std::to_string(dimension) + ")");
  if (tuning_.shortest_character_ngram < 1 || tuning_.longest_character_ngram > 8)
    throw Error(ErrorKind::usage, "character n-grams of the local embedder must be 1 to 8 bytes long");
}

std::vector<std::vector<float>> LocalEmbedder::embed(const std::vector<std::string>& texts, EmbeddingRole role,
                                                     const CancelToken& cancel) {
  std::vector<std::vector<float>> vectors;
  vectors.reserve(texts.size());
  for (const auto& text : texts) {
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "embedding cancelled");
    vectors.emplace_back(static_cast<std::size_t>(dimension_));
    embed_one(text, role, vectors.back().data());
  }
  return vectors;
}

void LocalEmbedder::embed_one(std::string_view text, EmbeddingRole, float* out) const {
  const auto dimension = static_cast<uint32_t>(dimension_);
  std::fill(out, out + dimension, 0.0f);
  Scratch& space = scratch;
  clear(space);

  uint64_t previous_key = 0;
  for (std::size_t position = next_word(text, 0, space.word); position != std::string_view::npos;
       position = next_word(text, position, space.word)) {
    if (tuning_.drop_stopwords && is_stopword(space.word)) continue;
    std::string_view stem = tuning_.stem ? light_stem(space.word, space.stem_storage) : std::string_view(space.word);
    const uint64_t key = hash_bytes(stem, kWordSeed);
    Feature& feature = find_or_insert(space, key);
    if (feature.count++ == 0) {
      feature.word_offset = static_cast<uint32_t>(space.spellings.size());
      feature.word_length = static_cast<uint32_t>(stem.size());
      space.spellings.append(stem);
    }
    if (previous_key != 0 && tuning_.word_pair_weight != 0.0f) {
      // Order matters ("cell death" is not "death cell"), hence the rotation.
      const uint64_t pair_key = mix(previous_key ^ ((key << 23) | (key >> 41)) ^ kPairSeed);
      ++find_or_insert(space, pair_key).count;
    }
    previous_key = key;
  }

  const int shortest = tuning_.shortest_character_ngram;
  const int longest = tuning_.longest_character_ngram;
  for (uint32_t slot : space.used) {
    const Feature& feature = space.table[slot];
    const float weight = 1.0f + std::log(static_cast<float>(feature.count));
    if (feature.word_length == 0) {
      add_feature(out, dimension, feature.key, weight * tuning_.word_pair_weight);
      continue;
    }
    if (tuning_.word_weight != 0.0f) add_feature(out, dimension, feature.key, weight * tuning_.word_weight);
    if (tuning_.character_ngram_weight != 0.0f)
      add_character_ngrams(out, dimension, std::string_view(space.spellings).substr(feature.word_offset, feature.word_length),
                           weight * tuning_.character_ngram_weight, shortest, longest, space.ngram_buffer);
  }

  double squared_norm = 0;
  for (uint32_t index = 0; index < dimension; ++index) squared_norm += static_cast<double>(out[index]) * out[index];
  if (squared_norm == 0) return;
  const auto scale = static_cast<float>(1.0 / std::sqrt(squared_norm));
  for (uint32_t index = 0; index < dimension; ++index) out[index] *= scale;
}

}  // namespace weir
