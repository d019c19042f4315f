#include "core/rag/vector_index.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <thread>
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
#include "core/rag/index_file.hpp"
#include "core/rag/index_file_layout.hpp"
#include "core/rag/int8_codec.hpp"
#include "core/rag/integer_dot.hpp"

namespace weir {

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;
using InternalId = hnswlib::tableint;
using LinkCount = hnswlib::linklistsizeint;

static_assert(sizeof(size_t) == 8, "the file format stores hnswlib's size_t fields as 64 bits");
static_assert(kGraphPrefixSize == 6 * sizeof(size_t) + sizeof(int) + sizeof(InternalId) + 3 * sizeof(size_t) +
                                      sizeof(double) + sizeof(size_t),
              "GraphPrefix must mirror hnswlib's saveIndex() scalars");
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

// Far above what any M produces for a real collection (levels fall off as
// M^-level), and it bounds the work a hostile file can ask for.
constexpr int kMaximumLevel = 64;
constexpr size_t kMaximumLinksPerNode = 1024;
constexpr size_t kMaximumConstructionBreadth = 1 << 20;

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
  int32_t dot = distance.dot(encoded_components(a), encoded_components(b), distance.dimension,
                             encoded_component_sum(b));
  return 1.0f - encoded_scale(a) * encoded_scale(b) * static_cast<float>(dot);
}

// Same contract as hnswlib's InnerProductSpace (distance = 1 - dot, so on
// unit vectors 1 - cosine), over the int8 encoding (int8_codec.hpp).
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
    encode_unit_vector(unit.data(), dimension, encoded.data() + index * stride);
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
//
// The byte map is index_file_layout.hpp's; this part knows which graph
// fields go where and what a loaded graph must satisfy before hnswlib may
// touch it.

void VectorIndex::save(const std::string& path) const {
  const Graph& graph = *implementation_->graph;
  size_t count = graph.cur_element_count;

  GraphPrefix fields{};
  fields.offset_level0 = graph.offsetLevel0_;
  fields.capacity = graph.max_elements_;
  fields.element_count = count;
  fields.size_per_element = graph.size_data_per_element_;
  fields.label_offset = graph.label_offset_;
  fields.data_offset = graph.offsetData_;
  fields.maximum_level = graph.maxlevel_;
  fields.entry_point = graph.enterpoint_node_;
  fields.maximum_links = graph.maxM_;
  fields.maximum_links_level0 = graph.maxM0_;
  fields.links_per_node = graph.M_;
  fields.level_multiplier = graph.mult_;
  fields.construction_breadth = graph.ef_construction_;
  auto prefix = encode_graph_prefix(fields);

  size_t level0_size = count * graph.size_data_per_element_;
  std::vector<unsigned char> upper_levels;
  upper_levels.reserve(count * sizeof(uint32_t));
  for (size_t element = 0; element < count; ++element)
    append_upper_levels(upper_levels, graph.linkLists_[element],
                        static_cast<uint32_t>(upper_links_size(graph, graph.element_levels_[element])));

  IndexFileHeader header_fields;
  header_fields.dimension = static_cast<uint32_t>(implementation_->dimension);
  header_fields.generation = implementation_->generation;
  header_fields.element_count = count;
  header_fields.deleted_count = graph.num_deleted_;
  header_fields.payload_size = prefix.size() + level0_size + upper_levels.size();
  auto header = encode_index_header(header_fields);
  auto checksum = start_index_checksum(header.data());
  checksum.update(prefix.data(), prefix.size());
  checksum.update(graph.data_level0_memory_, level0_size);
  checksum.update(upper_levels.data(), upper_levels.size());
  header_fields.checksum = checksum.finish();
  header = encode_index_header(header_fields);

  replace_file_atomically(path,
                          {{header.data(), header.size()},
                           {prefix.data(), prefix.size()},
                           {graph.data_level0_memory_, level0_size},
                           {upper_levels.data(), upper_levels.size()}},
                          "the vector index");
}

namespace {

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
  auto file = ReadOnlyFile::open(path);
  if (!file) return nullptr;
  uint64_t file_size = file->size();
  if (file_size < kIndexHeaderSize + kGraphPrefixSize) return nullptr;

  std::array<unsigned char, kIndexHeaderSize + kGraphPrefixSize> opening;
  if (!file->read_at(opening.data(), opening.size(), 0)) return nullptr;
  auto header = parse_index_header(opening.data(), dimension, file_size);
  if (!header) return nullptr;
  if (header->element_count >= kMaximumCapacity || header->deleted_count > header->element_count) return nullptr;
  GraphPrefix prefix = parse_graph_prefix(opening.data() + kIndexHeaderSize);

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
  uint64_t level0_offset = kIndexHeaderSize + kGraphPrefixSize;
  if (!file->read_at(graph.data_level0_memory_, level0_size, level0_offset)) return nullptr;
  std::vector<unsigned char> upper_levels(body_size - level0_size);
  if (!file->read_at(upper_levels.data(), upper_levels.size(), level0_offset + level0_size)) return nullptr;

  // Verified before anything in the body is interpreted.
  auto checksum = start_index_checksum(opening.data());
  checksum.update(opening.data() + kIndexHeaderSize, kGraphPrefixSize);
  checksum.update(graph.data_level0_memory_, level0_size);
  checksum.update(upper_levels.data(), upper_levels.size());
  if (checksum.finish() != header->checksum) return nullptr;

  auto elements = parse_upper_levels(upper_levels, count, graph.size_links_per_element_, prefix.maximum_level);
  if (!elements) return nullptr;
  for (size_t element = 0; element < count; ++element) graph.element_levels_[element] = (*elements)[element].level;
  if (count > 0 && graph.element_levels_[prefix.entry_point] != prefix.maximum_level) return nullptr;

  // Copy the upper levels in, publishing each element to the destructor (via
  // cur_element_count) only once its list is allocated.
  for (size_t element = 0; element < count; ++element) {
    size_t size = upper_links_size(graph, graph.element_levels_[element]);
    graph.linkLists_[element] = nullptr;
    if (size > 0) {
      graph.linkLists_[element] = static_cast<char*>(std::malloc(size));
      if (graph.linkLists_[element] == nullptr) return nullptr;
      std::memcpy(graph.linkLists_[element], upper_levels.data() + (*elements)[element].offset, size);
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
