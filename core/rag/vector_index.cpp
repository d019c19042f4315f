#include "core/rag/vector_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

// hnswlib 0.6.2's SSE paths prefetch the entry one past a full upper-level
// link list, which its +1-byte allocation does not cover: a heap over-read
// that AddressSanitizer reports. Without its manual vectorisation hnswlib
// neither prefetches nor picks a distance kernel, so we supply our own
// (integer_dot.cpp, dispatched on the CPU at run time, which hnswlib's
// compile-time choice of SSE for a generic x86-64 build could not do anyway).
// It also keeps the SSE paths' non-inline definitions out of this file, but
// this should still stay the only translation unit that includes hnswlib.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include "core/error.hpp"
#include "core/rag/integer_dot.hpp"

namespace weir {

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;
using InternalId = hnswlib::tableint;
using LinkCount = hnswlib::linklistsizeint;

static_assert(sizeof(size_t) == 8, "the file format stores hnswlib's size_t fields as 64 bits");
static_assert(sizeof(InternalId) == 4 && sizeof(LinkCount) == 4);
static_assert(sizeof(hnswlib::labeltype) == sizeof(int64_t));

// Graph and search parameters, measured on 100k SciFact passages embedded by
// the local embedder (512 dimensions, the claims as queries), recall@10
// against an exhaustive scan:
//   M 16, ef_construction 100: ef 64 -> 0.896, ef 100 -> 0.934, ef 128 -> 0.946
//   M 16, ef_construction 200: ef 64 -> 0.931, ef 96 -> 0.956, ef 100 -> 0.960
//   M 24 or 32, ef_construction 100: at most 0.02 above M 16 at the same ef
// A better graph is cheaper per unit of recall than a wider search, but
// ingest speed is a goal too (>= 5,000 chunks/s) and ef_construction 200
// builds at ~550 inserts per CPU-second. Hybrid search fetches its 100 dense
// candidates with ef 400 (search.cpp), where ef_construction 40 already
// matches an exhaustive scan on SciFact (dense recall@100 0.809 vs 0.808) at
// about five times the build speed of 200. Larger M mostly cost memory.
constexpr size_t kLinksPerNode = 16;
constexpr size_t kConstructionBreadth = 40;
// The search breadth when the caller leaves ef at 0 (never below k).
constexpr size_t kMinimumSearchBreadth = 96;
// Small enough that an empty collection costs little memory; doubling from
// here keeps growth amortised O(1), and glibc grows large blocks by
// remapping pages rather than copying them.
constexpr size_t kInitialCapacity = 1024;
// hnswlib keeps internal ids in 32 bits (with ~0 meaning "no entry point")
// and its visited lists size themselves with an int.
constexpr size_t kMaximumCapacity = static_cast<size_t>(INT_MAX);
constexpr int kMaximumDimension = 65536;
// A rebuild costs a pass over the store and re-inserting every vector, so it
// only pays off once tombstones are both numerous and a real share of the
// graph: they still cost a distance computation whenever a search meets them.
constexpr size_t kCompactionMinimumDeleted = 1000;
constexpr size_t kCompactionDeletedPercent = 20;

// ---- file format ---------------------------------------------------------
//
// Header (native byte order; a file from a machine of the other order fails
// the magic check and is rebuilt):
//   0  magic "weirHNSW"           8 bytes
//   8  format version             u32
//  12  dimension                  u32
//  16  generation                 i64
//  24  element count              u64 (live + deleted)
//  32  deleted count              u64
//  40  payload size               u64
//  48  checksum                   u64 over bytes 0..47 and the payload
// The header is covered by the checksum too: a flipped bit in the generation
// would otherwise make a stale index look current.
//
// Payload: exactly hnswlib 0.6.2's saveIndex() layout (13 scalars, the level-0
// block, then per element a u32 byte size and its upper-level link lists), so
// `tail -c +57 FILE` can still be opened by hnswlib's own loader when
// debugging. It is written and read here rather than through saveIndex/
// loadIndex because those only take paths and loadIndex trusts its input.
constexpr std::array<char, 8> kMagic = {'w', 'e', 'i', 'r', 'H', 'N', 'S', 'W'};
// 2: vectors stored as 8-bit integers (1 held floats).
constexpr uint32_t kFormatVersion = 2;
constexpr size_t kHeaderSize = 56;
constexpr size_t kChecksumOffset = 48;
constexpr size_t kGraphPrefixSize = 6 * 8 + 4 + 4 + 3 * 8 + 8 + 8;
// Far above what any M produces for a real collection (levels fall off as
// M^-level), and it bounds the work a hostile file can ask for.
constexpr int kMaximumLevel = 64;
constexpr size_t kMaximumLinksPerNode = 1024;
constexpr size_t kMaximumConstructionBreadth = 1 << 20;

template <typename Value>
void put(unsigned char* destination, Value value) {
  std::memcpy(destination, &value, sizeof value);
}

template <typename Value>
Value get(const unsigned char* source) {
  Value value;
  std::memcpy(&value, source, sizeof value);
  return value;
}

uint64_t rotate_left(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

uint64_t avalanche(uint64_t value) {
  value ^= value >> 31;
  value *= 0xD6E8FEB86659FD93ULL;
  value ^= value >> 29;
  value *= 0xA0761D6478BD642FULL;
  value ^= value >> 32;
  return value;
}

// A non-cryptographic 64-bit checksum. The file is a cache we wrote ourselves,
// so it only has to catch torn writes and bit rot; it has to be fast because
// a 100k x 512 index is ~70 MB and is hashed on every load. Four independent
// lanes of 8-byte words keep the multipliers busy (several GB/s). Each step is
// a bijection of the lane for a fixed word and of the word for a fixed lane,
// so any change confined to one lane's words is always detected.
class Checksum {
 public:
  void update(const void* data, size_t size) {
    // An empty std::vector's data() may be null, which memcpy must not see.
    if (size == 0) return;
    const auto* bytes = static_cast<const unsigned char*>(data);
    total_size_ += size;
    if (pending_size_ > 0) {
      size_t taken = std::min(size, kBlockSize - pending_size_);
      std::memcpy(pending_.data() + pending_size_, bytes, taken);
      pending_size_ += taken;
      bytes += taken;
      size -= taken;
      if (pending_size_ < kBlockSize) return;
      mix_block(pending_.data());
      pending_size_ = 0;
    }
    for (; size >= kBlockSize; bytes += kBlockSize, size -= kBlockSize) mix_block(bytes);
    std::memcpy(pending_.data(), bytes, size);
    pending_size_ = size;
  }

  uint64_t finish() const {
    Checksum last = *this;
    if (last.pending_size_ > 0) {
      std::fill(last.pending_.begin() + static_cast<std::ptrdiff_t>(last.pending_size_),
                last.pending_.end(), 0);
      last.mix_block(last.pending_.data());
    }
    // The length goes in so that trailing zero bytes are not invisible.
    uint64_t result = avalanche(total_size_ ^ 0x2545F4914F6CDD1DULL);
    for (uint64_t lane : last.lanes_) result = rotate_left(result ^ avalanche(lane), 27) * kSecondMultiplier;
    return avalanche(result);
  }

 private:
  static constexpr size_t kBlockSize = 32;
  static constexpr uint64_t kFirstMultiplier = 0x9E3779B97F4A7C15ULL;
  static constexpr uint64_t kSecondMultiplier = 0xBF58476D1CE4E5B9ULL;

  void mix_block(const unsigned char* block) {
    for (size_t lane = 0; lane < lanes_.size(); ++lane) {
      uint64_t word = get<uint64_t>(block + lane * 8);
      lanes_[lane] = rotate_left(lanes_[lane] ^ (word * kFirstMultiplier), 31) * kSecondMultiplier;
    }
  }

  std::array<uint64_t, 4> lanes_ = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL,
                                    0x082EFA98EC4E6C89ULL};
  std::array<unsigned char, kBlockSize> pending_{};
  size_t pending_size_ = 0;
  uint64_t total_size_ = 0;
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int descriptor) : descriptor_(descriptor) {}
  ~FileDescriptor() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return descriptor_; }
  bool valid() const { return descriptor_ >= 0; }
  // close() reports write-back errors on some file systems, so save() needs
  // its result rather than leaving it to the destructor.
  int close() {
    int result = ::close(descriptor_);
    descriptor_ = -1;
    return result;
  }

 private:
  int descriptor_;
};

bool read_exactly(int descriptor, void* destination, size_t size, uint64_t offset) {
  auto* bytes = static_cast<char*>(destination);
  while (size > 0) {
    // Linux transfers at most ~2 GiB per call.
    size_t chunk = std::min<size_t>(size, size_t{1} << 30);
    ssize_t count = ::pread(descriptor, bytes, chunk, static_cast<off_t>(offset));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return false;
    bytes += count;
    size -= static_cast<size_t>(count);
    offset += static_cast<uint64_t>(count);
  }
  return true;
}

bool write_exactly(int descriptor, const void* source, size_t size) {
  const auto* bytes = static_cast<const char*>(source);
  while (size > 0) {
    size_t chunk = std::min<size_t>(size, size_t{1} << 30);
    ssize_t count = ::write(descriptor, bytes, chunk);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      if (count == 0) errno = EIO;
      return false;
    }
    bytes += count;
    size -= static_cast<size_t>(count);
  }
  return true;
}

std::string parent_directory(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Re-normalising is cheap next to a graph insertion or search and protects
// the cosine scale from embedders whose vectors are only nearly unit length.
std::vector<float> normalised_copy(const float* vector, int dimension, const char* what) {
  std::vector<float> result(vector, vector + dimension);
  double squared_norm = 0;
  for (float component : result) squared_norm += static_cast<double>(component) * component;
  if (!std::isfinite(squared_norm))
    throw Error(ErrorKind::usage, std::string(what) +
                                      " has a non-finite component (NaN or infinity); the embedder "
                                      "produced an invalid vector");
  if (squared_norm > 0) {
    auto scale = static_cast<float>(1.0 / std::sqrt(squared_norm));
    for (float& component : result) component *= scale;
  }
  return result;
}

// ---- stored vectors ---------------------------------------------------------
//
// The graph keeps each vector as 8-bit integers, not floats. Building the
// graph is mostly distance computations over vectors scattered in memory;
// a quarter of the bytes per vector and integer dot products made a 100k
// build about three times faster and the index file a quarter of the size,
// while SciFact's dense nDCG@10 and recall@100 did not move (bench/index).
//
// Layout of one stored vector (encoded_size(dimension) bytes):
//   0  scale       float: the cosine of two stored vectors is
//                  scale_a * scale_b * sum(a_i * b_i)
//   4  sum         int32: sum of the components (for the VNNI kernel)
//   8  components  int8 each, in [-127, 127], then zeros to a 4-byte boundary
// A unit vector is mapped so that its largest component becomes ±127, and the
// scale is chosen so that the stored vector has length 1: a vector's
// similarity to itself stays 1 (up to float rounding), and any other cosine is
// within 0.01 of the float value (rounding errors of ±0.5 in 127 per
// component mostly cancel).
constexpr size_t kEncodingHeader = 8;
constexpr float kLargestComponent = 127.0f;

// Padded to whole 4-byte words: hnswlib lays each node out as its link list,
// this, then its label, and reads the next node's links as 32-bit integers,
// which must stay aligned whatever the dimension.
size_t encoded_size(size_t dimension) { return kEncodingHeader + (dimension + 3) / 4 * 4; }

void encode(const float* unit_vector, size_t dimension, unsigned char* out) {
  float largest = 0;
  for (size_t index = 0; index < dimension; ++index) largest = std::max(largest, std::fabs(unit_vector[index]));
  auto* components = reinterpret_cast<int8_t*>(out + kEncodingHeader);
  int64_t squared_length = 0;
  int32_t sum = 0;
  float factor = largest > 0 ? kLargestComponent / largest : 0.0f;
  for (size_t index = 0; index < dimension; ++index) {
    auto component = static_cast<int8_t>(std::lround(unit_vector[index] * factor));
    components[index] = component;
    squared_length += int64_t{component} * component;
    sum += component;
  }
  std::fill(out + kEncodingHeader + dimension, out + encoded_size(dimension), 0);
  float scale = squared_length > 0 ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(squared_length))) : 0.0f;
  put(out, scale);
  put(out + 4, sum);
}

std::vector<unsigned char> encoded_copy(const float* vector, int dimension, const char* what) {
  auto unit = normalised_copy(vector, dimension, what);
  std::vector<unsigned char> encoded(encoded_size(static_cast<size_t>(dimension)));
  encode(unit.data(), unit.size(), encoded.data());
  return encoded;
}

// ---- distance ---------------------------------------------------------------
//
// hnswlib calls this for every edge it follows, so it is the inner loop of
// both building and searching (the kernels are in integer_dot.cpp).

// hnswlib hands this back to the distance function untouched. The dimension
// comes first because hnswlib's getDataByLabel() reads it as a size_t.
struct DistanceParameters {
  size_t dimension;
  IntegerDot dot;
};

float cosine_distance(const void* left, const void* right, const void* parameters) {
  const auto& distance = *static_cast<const DistanceParameters*>(parameters);
  const auto* a = static_cast<const unsigned char*>(left);
  const auto* b = static_cast<const unsigned char*>(right);
  int32_t dot = distance.dot(reinterpret_cast<const int8_t*>(a + kEncodingHeader),
                             reinterpret_cast<const int8_t*>(b + kEncodingHeader), distance.dimension,
                             get<int32_t>(b + 4));
  return 1.0f - get<float>(a) * get<float>(b) * static_cast<float>(dot);
}

// Same contract as hnswlib's InnerProductSpace (distance = 1 - dot, so on
// unit vectors 1 - cosine), over the encoding above.
class CosineSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit CosineSpace(size_t dimension) {
    static const IntegerDot chosen = best_integer_dot();
    parameters_ = {dimension, chosen};
  }
  size_t get_data_size() override { return encoded_size(parameters_.dimension); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return cosine_distance; }
  void* get_dist_func_param() override { return &parameters_; }

 private:
  DistanceParameters parameters_{};
};

std::unique_ptr<Graph> make_graph(hnswlib::SpaceInterface<float>& space, size_t capacity,
                                  size_t links_per_node, size_t construction_breadth) {
  return std::make_unique<Graph>(&space, capacity, links_per_node, construction_breadth);
}

size_t upper_links_size(const Graph& graph, int level) {
  return level > 0 ? graph.size_links_per_element_ * static_cast<size_t>(level) : 0;
}

}  // namespace

struct VectorIndex::Implementation {
  Implementation(int dimension_value, int64_t generation_value)
      : dimension(dimension_value), generation(generation_value), space(static_cast<size_t>(dimension_value)) {}

  int dimension;
  int64_t generation;
  // Declared before the graph: the graph keeps a pointer into the space.
  CosineSpace space;
  std::unique_ptr<Graph> graph;

  float distance(const unsigned char* query, InternalId element) const {
    return graph->fstdistfunc_(query, graph->getDataByInternalId(element), graph->dist_func_param_);
  }

  // Every live node scored: exact, and cheaper than the graph walk when the
  // walk would compute about as many distances as there are nodes.
  std::vector<std::pair<float, InternalId>> scan(const unsigned char* query, size_t k) const {
    std::vector<std::pair<float, InternalId>> scored;
    scored.reserve(graph->cur_element_count);
    for (InternalId element = 0; element < graph->cur_element_count; ++element)
      if (!graph->isMarkedDeleted(element)) scored.emplace_back(distance(query, element), element);
    auto kept = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(kept), scored.end());
    scored.resize(kept);
    return scored;
  }

  // hnswlib's searchKnn() reads the breadth from a member that setEf() writes,
  // so two concurrent searches with different ef would race; it also bumps
  // shared metric counters, and with NO_MANUAL_VECTORIZATION it loses its
  // prefetching. This is the same walk (greedy descent through the upper
  // levels, then a best-first search of level 0 that steps over deleted
  // nodes without returning them) with ef passed in. It writes nothing
  // shared except through the visited-list pool, which locks.
  std::vector<std::pair<float, InternalId>> nearest(const unsigned char* query, size_t k, size_t breadth) const {
    InternalId entry = descend(query);

    hnswlib::VisitedList* visited = graph->visited_list_pool_->getFreeVisitedList();
    struct Release {
      hnswlib::VisitedListPool* pool;
      hnswlib::VisitedList* list;
      ~Release() { pool->releaseVisitedList(list); }
    } release{graph->visited_list_pool_, visited};
    hnswlib::vl_type* marks = visited->mass;
    const hnswlib::vl_type mark = visited->curV;

    using Scored = std::pair<float, InternalId>;
    // Nearest unexpanded node first.
    std::priority_queue<Scored, std::vector<Scored>, std::greater<>> frontier;
    // Farthest of the best `breadth` live nodes first, so it can be evicted.
    std::priority_queue<Scored> best;
    const bool has_deletions = graph->num_deleted_ > 0;
    float bound = std::numeric_limits<float>::max();
    float entry_distance = distance(query, entry);
    frontier.emplace(entry_distance, entry);
    if (!graph->isMarkedDeleted(entry)) {
      best.emplace(entry_distance, entry);
      bound = entry_distance;
    }
    marks[entry] = mark;

    while (!frontier.empty()) {
      auto [node_distance, node] = frontier.top();
      // Deleted nodes never enter `best`, so until it is full the search
      // keeps going past them.
      if (node_distance > bound && best.size() >= breadth) break;
      frontier.pop();

      LinkCount* links = graph->get_linklist0(node);
      size_t count = graph->getListCount(links);
      const auto* neighbours = reinterpret_cast<const InternalId*>(links + 1);
      // Fetch one neighbour ahead: the vectors are scattered, so this hides
      // most of a cache miss behind the current distance. (Issuing every
      // neighbour's prefetch up front measured slower.)
      if (count > 0) prefetch_candidate(marks, neighbours[0]);
      for (size_t index = 0; index < count; ++index) {
        InternalId neighbour = neighbours[index];
        if (index + 1 < count) prefetch_candidate(marks, neighbours[index + 1]);
        if (marks[neighbour] == mark) continue;
        marks[neighbour] = mark;
        float neighbour_distance = distance(query, neighbour);
        if (best.size() >= breadth && neighbour_distance >= bound) continue;
        frontier.emplace(neighbour_distance, neighbour);
        // The nearest frontier node is the likeliest to be expanded next.
        __builtin_prefetch(graph->get_linklist0(frontier.top().second));
        // The mark lives on another cache line than the vector: skip the
        // look when nothing is deleted.
        if (has_deletions && graph->isMarkedDeleted(neighbour)) continue;
        best.emplace(neighbour_distance, neighbour);
        if (best.size() > breadth) best.pop();
        bound = best.top().first;
      }
    }

    while (best.size() > k) best.pop();
    std::vector<Scored> result(best.size());
    for (size_t index = result.size(); index > 0; --index) {
      result[index - 1] = best.top();
      best.pop();
    }
    return result;
  }

  // Greedy walk down the upper levels to the node closest to `query`.
  InternalId descend(const unsigned char* query) const {
    InternalId current = graph->enterpoint_node_;
    float current_distance = distance(query, current);
    for (int level = graph->maxlevel_; level > 0; --level) {
      bool moved = true;
      while (moved) {
        moved = false;
        LinkCount* links = graph->get_linklist(current, level);
        size_t count = graph->getListCount(links);
        const auto* neighbours = reinterpret_cast<const InternalId*>(links + 1);
        for (size_t index = 0; index < count; ++index) {
          float neighbour_distance = distance(query, neighbours[index]);
          if (neighbour_distance < current_distance) {
            current_distance = neighbour_distance;
            current = neighbours[index];
            moved = true;
          }
        }
      }
    }
    return current;
  }

  void prefetch_candidate(const hnswlib::vl_type* marks, InternalId element) const {
    __builtin_prefetch(marks + element);
    __builtin_prefetch(graph->getDataByInternalId(element));
  }
};

VectorIndex::VectorIndex(int dimension, int64_t generation) {
  if (dimension < 1 || dimension > kMaximumDimension)
    throw Error(ErrorKind::usage, "vector dimension " + std::to_string(dimension) + " is out of range; it must be 1.." +
                                      std::to_string(kMaximumDimension));
  implementation_ = std::make_unique<Implementation>(dimension, generation);
  implementation_->graph =
      make_graph(implementation_->space, kInitialCapacity, kLinksPerNode, kConstructionBreadth);
}

VectorIndex::~VectorIndex() = default;

int VectorIndex::dimension() const { return implementation_->dimension; }
int64_t VectorIndex::generation() const { return implementation_->generation; }
void VectorIndex::set_generation(int64_t generation) { implementation_->generation = generation; }

void VectorIndex::upsert(int64_t label, const float* vector) {
  auto encoded = encoded_copy(vector, implementation_->dimension, "the vector to index");
  Graph& graph = *implementation_->graph;
  auto key = static_cast<hnswlib::labeltype>(label);
  try {
    if (graph.cur_element_count >= graph.max_elements_) {
      if (graph.max_elements_ >= kMaximumCapacity)
        throw Error(ErrorKind::runtime, "the vector index is full (" + std::to_string(kMaximumCapacity) +
                                            " vectors); rebuild it to drop deleted vectors or split the "
                                            "collection");
      graph.resizeIndex(std::min(kMaximumCapacity, std::max(kInitialCapacity, graph.max_elements_ * 2)));
    }
    // A replaced vector becomes a tombstone and the new one a fresh node.
    // hnswlib 0.6.2 could update the node in place (addPoint with a known
    // label), but that rewires the whole two-hop neighbourhood, costing many
    // insertions, and passes null to memcpy for an empty link list, which
    // UndefinedBehaviorSanitizer rejects. Tombstones are what compaction
    // clears anyway.
    if (auto found = graph.label_lookup_.find(key); found != graph.label_lookup_.end()) {
      InternalId existing = found->second;
      bool deleted = graph.isMarkedDeleted(existing);
      // Catching up replays every changed document, most often with the
      // vector it already has: keep (or revive) the node, links and all.
      if (std::memcmp(graph.getDataByInternalId(existing), encoded.data(), graph.data_size_) == 0) {
        if (deleted) graph.unmarkDeletedInternal(existing);
        return;
      }
      if (!deleted) graph.markDeletedInternal(existing);
      graph.label_lookup_.erase(found);
    }
    graph.addPoint(encoded.data(), key);
  } catch (const Error&) {
    throw;
  } catch (const std::runtime_error& error) {
    throw Error(ErrorKind::runtime, std::string("cannot add a vector to the index: ") + error.what());
  }
}

void VectorIndex::upsert_many(const std::vector<int64_t>& labels, const float* vectors) {
  const auto dimension = static_cast<size_t>(implementation_->dimension);
  Graph& graph = *implementation_->graph;
  // Known labels (replacements, revivals) and repeats keep upsert()'s serial
  // path; only labels new to the graph are inserted concurrently, which is
  // what hnswlib's addPoint supports.
  std::vector<size_t> fresh;
  std::vector<size_t> repeats;  // applied after the fresh ones, in order: the later one wins
  std::unordered_set<int64_t> seen;
  for (size_t position = 0; position < labels.size(); ++position) {
    auto key = static_cast<hnswlib::labeltype>(labels[position]);
    if (!seen.insert(labels[position]).second)
      repeats.push_back(position);
    else if (graph.label_lookup_.count(key) || graph.cur_element_count == 0)
      upsert(labels[position], vectors + position * dimension);
    else
      fresh.push_back(position);
  }
  insert_new(labels, vectors, fresh);
  for (auto position : repeats) upsert(labels[position], vectors + position * dimension);
}

void VectorIndex::insert_new(const std::vector<int64_t>& labels, const float* vectors,
                             const std::vector<size_t>& fresh) {
  if (fresh.empty()) return;
  const auto dimension = static_cast<size_t>(implementation_->dimension);
  Graph& graph = *implementation_->graph;

  const size_t stride = encoded_size(dimension);
  std::vector<unsigned char> encoded(fresh.size() * stride);
  for (size_t index = 0; index < fresh.size(); ++index) {
    auto unit = normalised_copy(vectors + fresh[index] * dimension, implementation_->dimension, "the vector to index");
    encode(unit.data(), dimension, encoded.data() + index * stride);
  }
  size_t needed = graph.cur_element_count + fresh.size();
  if (needed > kMaximumCapacity)
    throw Error(ErrorKind::runtime, "the vector index is full (" + std::to_string(kMaximumCapacity) +
                                        " vectors); rebuild it to drop deleted vectors or split the collection");
  if (needed > graph.max_elements_)
    graph.resizeIndex(std::min(kMaximumCapacity, std::max(needed, graph.max_elements_ * 2)));

  // Below this many insertions per thread, starting threads costs more than
  // it saves (and small collections keep a reproducible graph).
  constexpr size_t kInsertionsPerThread = 2000;
  size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                    std::max<size_t>(1, fresh.size() / kInsertionsPerThread));
  std::atomic<size_t> next{0};
  std::mutex failure_lock;
  std::exception_ptr failure;
  auto insert = [&] {
    for (size_t index = next++; index < fresh.size(); index = next++) {
      try {
        graph.addPoint(encoded.data() + index * stride, static_cast<hnswlib::labeltype>(labels[fresh[index]]));
      } catch (...) {
        std::lock_guard lock(failure_lock);
        if (!failure) failure = std::current_exception();
        next = fresh.size();
      }
    }
  };
  if (threads <= 1) {
    insert();
  } else {
    std::vector<std::thread> workers;
    for (size_t thread = 1; thread < threads; ++thread) workers.emplace_back(insert);
    insert();
    for (auto& worker : workers) worker.join();
  }
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const Error&) {
    throw;
  } catch (const std::runtime_error& error) {
    throw Error(ErrorKind::runtime, std::string("cannot add a vector to the index: ") + error.what());
  }
}

void VectorIndex::remove(int64_t label) {
  Graph& graph = *implementation_->graph;
  auto found = graph.label_lookup_.find(static_cast<hnswlib::labeltype>(label));
  if (found == graph.label_lookup_.end() || graph.isMarkedDeleted(found->second)) return;
  graph.markDeletedInternal(found->second);
}

bool VectorIndex::contains(int64_t label) const {
  const Graph& graph = *implementation_->graph;
  auto found = graph.label_lookup_.find(static_cast<hnswlib::labeltype>(label));
  return found != graph.label_lookup_.end() && !graph.isMarkedDeleted(found->second);
}

std::vector<VectorHit> VectorIndex::search(const float* query, size_t k, size_t ef) const {
  if (k == 0 || live_count() == 0) return {};
  auto encoded = encoded_copy(query, implementation_->dimension, "the query vector");
  size_t breadth = std::max(ef == 0 ? kMinimumSearchBreadth : ef, k);
  // A walk of breadth ef expands about ef nodes of up to 2M links each.
  bool exhaustive = implementation_->graph->cur_element_count <= breadth * kLinksPerNode;
  auto nearest = exhaustive ? implementation_->scan(encoded.data(), k)
                            : implementation_->nearest(encoded.data(), k, breadth);
  std::vector<VectorHit> hits;
  hits.reserve(nearest.size());
  for (const auto& [distance, element] : nearest) {
    // The space reports 1 - dot; rounding can step just outside [-1, 1].
    float similarity = std::clamp(1.0f - distance, -1.0f, 1.0f);
    hits.push_back({static_cast<int64_t>(implementation_->graph->getExternalLabel(element)), similarity});
  }
  return hits;
}

size_t VectorIndex::live_count() const {
  const Graph& graph = *implementation_->graph;
  return graph.cur_element_count - graph.num_deleted_;
}

size_t VectorIndex::deleted_count() const { return implementation_->graph->num_deleted_; }

bool VectorIndex::needs_compaction() const {
  const Graph& graph = *implementation_->graph;
  return graph.num_deleted_ > kCompactionMinimumDeleted &&
         graph.num_deleted_ * 100 > graph.cur_element_count * kCompactionDeletedPercent;
}

// ---- persistence -----------------------------------------------------------

void VectorIndex::save(const std::string& path) const {
  const Graph& graph = *implementation_->graph;
  size_t count = graph.cur_element_count;

  std::array<unsigned char, kGraphPrefixSize> prefix{};
  {
    unsigned char* cursor = prefix.data();
    auto append = [&cursor](auto value) {
      put(cursor, value);
      cursor += sizeof value;
    };
    append(uint64_t{graph.offsetLevel0_});
    append(uint64_t{graph.max_elements_});
    append(uint64_t{count});
    append(uint64_t{graph.size_data_per_element_});
    append(uint64_t{graph.label_offset_});
    append(uint64_t{graph.offsetData_});
    append(int32_t{graph.maxlevel_});
    append(uint32_t{graph.enterpoint_node_});
    append(uint64_t{graph.maxM_});
    append(uint64_t{graph.maxM0_});
    append(uint64_t{graph.M_});
    append(double{graph.mult_});
    append(uint64_t{graph.ef_construction_});
  }

  size_t level0_size = count * graph.size_data_per_element_;
  std::vector<unsigned char> upper_levels;
  upper_levels.reserve(count * sizeof(uint32_t));
  for (size_t element = 0; element < count; ++element) {
    size_t size = upper_links_size(graph, graph.element_levels_[element]);
    std::array<unsigned char, sizeof(uint32_t)> size_bytes;
    put(size_bytes.data(), static_cast<uint32_t>(size));
    upper_levels.insert(upper_levels.end(), size_bytes.begin(), size_bytes.end());
    if (size > 0) {
      const auto* links = reinterpret_cast<const unsigned char*>(graph.linkLists_[element]);
      upper_levels.insert(upper_levels.end(), links, links + size);
    }
  }

  std::array<unsigned char, kHeaderSize> header{};
  std::memcpy(header.data(), kMagic.data(), kMagic.size());
  put(header.data() + 8, kFormatVersion);
  put(header.data() + 12, static_cast<uint32_t>(implementation_->dimension));
  put(header.data() + 16, implementation_->generation);
  put(header.data() + 24, uint64_t{count});
  put(header.data() + 32, uint64_t{graph.num_deleted_});
  put(header.data() + 40, uint64_t{prefix.size() + level0_size + upper_levels.size()});
  Checksum checksum;
  checksum.update(header.data(), kChecksumOffset);
  checksum.update(prefix.data(), prefix.size());
  checksum.update(graph.data_level0_memory_, level0_size);
  checksum.update(upper_levels.data(), upper_levels.size());
  put(header.data() + kChecksumOffset, checksum.finish());

  std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  auto fail = [&](const std::string& step, int error_number) {
    ::unlink(temporary.c_str());
    throw Error(ErrorKind::runtime, "cannot save the vector index " + path + " (" + step +
                                        "): " + std::strerror(error_number) +
                                        "; check free space and permissions of " + parent_directory(path));
  };

  FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!file.valid()) {
    int error_number = errno;
    // Not unlinking here: the name may belong to something that is not ours.
    throw Error(ErrorKind::runtime, "cannot save the vector index " + path + " (create " + temporary +
                                        "): " + std::strerror(error_number) +
                                        "; check free space and permissions of " + parent_directory(path));
  }
  if (!write_exactly(file.get(), header.data(), header.size()) ||
      !write_exactly(file.get(), prefix.data(), prefix.size()) ||
      !write_exactly(file.get(), graph.data_level0_memory_, level0_size) ||
      !write_exactly(file.get(), upper_levels.data(), upper_levels.size()))
    fail("write", errno);
  if (::fsync(file.get()) != 0) fail("fsync", errno);
  if (file.close() != 0) fail("close", errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("rename", errno);

  // Without this the rename itself may not survive a power cut.
  FileDescriptor directory(::open(parent_directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid() && ::fsync(directory.get()) != 0 && errno != EINVAL) {
    int error_number = errno;
    throw Error(ErrorKind::runtime, "cannot save the vector index " + path + " (fsync of its directory): " +
                                        std::strerror(error_number));
  }
}

namespace {

struct FileHeader {
  int64_t generation = 0;
  uint64_t element_count = 0;
  uint64_t deleted_count = 0;
  uint64_t payload_size = 0;
  uint64_t checksum = 0;
};

std::optional<FileHeader> parse_header(const unsigned char* bytes, int dimension, uint64_t file_size) {
  if (std::memcmp(bytes, kMagic.data(), kMagic.size()) != 0) return std::nullopt;
  if (get<uint32_t>(bytes + 8) != kFormatVersion) return std::nullopt;
  if (get<uint32_t>(bytes + 12) != static_cast<uint32_t>(dimension)) return std::nullopt;
  FileHeader header;
  header.generation = get<int64_t>(bytes + 16);
  header.element_count = get<uint64_t>(bytes + 24);
  header.deleted_count = get<uint64_t>(bytes + 32);
  header.payload_size = get<uint64_t>(bytes + 40);
  header.checksum = get<uint64_t>(bytes + kChecksumOffset);
  if (header.payload_size != file_size - kHeaderSize) return std::nullopt;
  if (header.element_count >= kMaximumCapacity || header.deleted_count > header.element_count) return std::nullopt;
  return header;
}

// The scalars that open hnswlib's serialisation.
struct GraphPrefix {
  uint64_t offset_level0, capacity, element_count, size_per_element, label_offset, data_offset;
  int32_t maximum_level;
  uint32_t entry_point;
  uint64_t maximum_links, maximum_links_level0, links_per_node;
  double level_multiplier;
  uint64_t construction_breadth;
};

GraphPrefix parse_prefix(const unsigned char* bytes) {
  GraphPrefix prefix;
  auto take = [&bytes](auto& field) {
    field = get<std::remove_reference_t<decltype(field)>>(bytes);
    bytes += sizeof field;
  };
  take(prefix.offset_level0);
  take(prefix.capacity);
  take(prefix.element_count);
  take(prefix.size_per_element);
  take(prefix.label_offset);
  take(prefix.data_offset);
  take(prefix.maximum_level);
  take(prefix.entry_point);
  take(prefix.maximum_links);
  take(prefix.maximum_links_level0);
  take(prefix.links_per_node);
  take(prefix.level_multiplier);
  take(prefix.construction_breadth);
  return prefix;
}

// Everything hnswlib dereferences without checking: list lengths, neighbour
// ids, the levels a neighbour must have, the entry point. Run after the
// checksum matched, so it only matters for files crafted to match it, but it
// is cheap next to reading the file and turns such a file into a rebuild
// instead of an out-of-bounds read.
bool links_are_sound(const Graph& graph, size_t count, size_t& deleted) {
  deleted = 0;
  for (size_t element = 0; element < count; ++element) {
    auto id = static_cast<InternalId>(element);
    LinkCount* level0 = graph.get_linklist0(id);
    size_t length = graph.getListCount(level0);
    if (length > graph.maxM0_) return false;
    const auto* neighbours = reinterpret_cast<const InternalId*>(level0 + 1);
    for (size_t index = 0; index < length; ++index)
      if (neighbours[index] >= count) return false;
    if (graph.isMarkedDeleted(id)) ++deleted;
    for (int level = 1; level <= graph.element_levels_[element]; ++level) {
      LinkCount* links = graph.get_linklist(id, level);
      size_t upper_length = graph.getListCount(links);
      if (upper_length > graph.maxM_) return false;
      const auto* upper_neighbours = reinterpret_cast<const InternalId*>(links + 1);
      for (size_t index = 0; index < upper_length; ++index)
        if (upper_neighbours[index] >= count || graph.element_levels_[upper_neighbours[index]] < level)
          return false;
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<VectorIndex> VectorIndex::load(const std::string& path, int dimension) try {
  if (dimension < 1 || dimension > kMaximumDimension) return nullptr;
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return nullptr;
  struct stat status {};
  if (::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode)) return nullptr;
  auto file_size = static_cast<uint64_t>(status.st_size);
  if (file_size < kHeaderSize + kGraphPrefixSize) return nullptr;
  ::posix_fadvise(file.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  std::array<unsigned char, kHeaderSize + kGraphPrefixSize> opening;
  if (!read_exactly(file.get(), opening.data(), opening.size(), 0)) return nullptr;
  auto header = parse_header(opening.data(), dimension, file_size);
  if (!header) return nullptr;
  GraphPrefix prefix = parse_prefix(opening.data() + kHeaderSize);

  // The shape must be exactly what a graph of this dimension and M would
  // have, so build one with the file's M and compare; this also bounds every
  // allocation below by the file's size.
  if (prefix.links_per_node < 2 || prefix.links_per_node > kMaximumLinksPerNode) return nullptr;
  if (prefix.construction_breadth > kMaximumConstructionBreadth) return nullptr;
  if (prefix.element_count != header->element_count || prefix.capacity < prefix.element_count) return nullptr;
  uint64_t count = header->element_count;
  uint64_t body_size = header->payload_size - kGraphPrefixSize;
  uint64_t expected_size_per_element =
      prefix.links_per_node * 2 * sizeof(InternalId) + sizeof(LinkCount) +
      encoded_size(static_cast<size_t>(dimension)) + sizeof(hnswlib::labeltype);
  if (prefix.size_per_element != expected_size_per_element) return nullptr;
  if (count > body_size / (expected_size_per_element + sizeof(uint32_t))) return nullptr;
  if (count == 0 ? (prefix.maximum_level != -1 || prefix.entry_point != std::numeric_limits<uint32_t>::max())
                 : (prefix.maximum_level < 0 || prefix.maximum_level > kMaximumLevel || prefix.entry_point >= count))
    return nullptr;

  auto index = std::make_unique<VectorIndex>(dimension, header->generation);
  Implementation& implementation = *index->implementation_;
  implementation.graph.reset();
  implementation.graph = make_graph(implementation.space, std::max<size_t>(kInitialCapacity, count),
                                    prefix.links_per_node, prefix.construction_breadth);
  Graph& graph = *implementation.graph;
  if (graph.offsetLevel0_ != prefix.offset_level0 || graph.size_data_per_element_ != prefix.size_per_element ||
      graph.label_offset_ != prefix.label_offset || graph.offsetData_ != prefix.data_offset ||
      graph.maxM_ != prefix.maximum_links || graph.maxM0_ != prefix.maximum_links_level0 ||
      graph.M_ != prefix.links_per_node || graph.ef_construction_ != prefix.construction_breadth)
    return nullptr;
  // mult_ is derived from M and only steers the levels of future insertions;
  // the freshly computed value is kept rather than trusting a stored double.

  // Level 0 goes straight into the graph's own block: one read, no copy.
  uint64_t level0_size = count * prefix.size_per_element;
  uint64_t level0_offset = kHeaderSize + kGraphPrefixSize;
  if (!read_exactly(file.get(), graph.data_level0_memory_, level0_size, level0_offset)) return nullptr;
  std::vector<unsigned char> upper_levels(body_size - level0_size);
  if (!read_exactly(file.get(), upper_levels.data(), upper_levels.size(), level0_offset + level0_size))
    return nullptr;

  // Verified before anything in the body is interpreted.
  Checksum checksum;
  checksum.update(opening.data(), kChecksumOffset);
  checksum.update(opening.data() + kHeaderSize, kGraphPrefixSize);
  checksum.update(graph.data_level0_memory_, level0_size);
  checksum.update(upper_levels.data(), upper_levels.size());
  if (checksum.finish() != header->checksum) return nullptr;

  std::vector<size_t> upper_offsets(count);
  size_t cursor = 0;
  for (size_t element = 0; element < count; ++element) {
    if (upper_levels.size() - cursor < sizeof(uint32_t)) return nullptr;
    uint32_t size = get<uint32_t>(upper_levels.data() + cursor);
    cursor += sizeof(uint32_t);
    if (size % graph.size_links_per_element_ != 0 || size > upper_levels.size() - cursor) return nullptr;
    auto level = static_cast<int>(size / graph.size_links_per_element_);
    if (level > prefix.maximum_level) return nullptr;
    graph.element_levels_[element] = level;
    upper_offsets[element] = cursor;
    cursor += size;
  }
  if (cursor != upper_levels.size()) return nullptr;
  if (count > 0 && graph.element_levels_[prefix.entry_point] != prefix.maximum_level) return nullptr;

  // Copy the upper levels in, publishing each element to the destructor (via
  // cur_element_count) only once its list is allocated.
  for (size_t element = 0; element < count; ++element) {
    size_t size = upper_links_size(graph, graph.element_levels_[element]);
    graph.linkLists_[element] = nullptr;
    if (size > 0) {
      graph.linkLists_[element] = static_cast<char*>(std::malloc(size));
      if (graph.linkLists_[element] == nullptr) return nullptr;
      std::memcpy(graph.linkLists_[element], upper_levels.data() + upper_offsets[element], size);
    }
    graph.cur_element_count = element + 1;
  }
  graph.maxlevel_ = prefix.maximum_level;
  graph.enterpoint_node_ = prefix.entry_point;

  size_t deleted = 0;
  if (!links_are_sound(graph, count, deleted) || deleted != header->deleted_count) return nullptr;
  graph.num_deleted_ = deleted;

  // A label has one node per vector it ever had here; all but the newest
  // are tombstones. The live one (else the newest) is the one to look up,
  // as hnswlib's own loader would pick.
  graph.label_lookup_.reserve(count);
  for (size_t element = 0; element < count; ++element) {
    auto id = static_cast<InternalId>(element);
    auto [entry, inserted] = graph.label_lookup_.emplace(graph.getExternalLabel(id), id);
    if (inserted) continue;
    bool earlier_live = !graph.isMarkedDeleted(entry->second);
    // Two live nodes with one label would make search return it twice.
    if (earlier_live && !graph.isMarkedDeleted(id)) return nullptr;
    if (!earlier_live) entry->second = id;
  }
  return index;
} catch (...) {
  // Out of memory or an hnswlib complaint: the caller rebuilds either way.
  return nullptr;
}

}  // namespace weir
