// Embedder — turns text into unit-length vectors for the dense half of search.
//
// An embedder is named by a spec: "local" (built in, offline, deterministic,
// no weights; see local_embedder.hpp) or "PROVIDER/MODEL" (a provider's
// /embeddings endpoint). A collection fixes its embedder spec and dimension
// when it is created; every vector in it comes from that embedder, so query
// and document vectors are comparable by inner product (= cosine).
//
// Contract: embed() returns one vector per input text, each of dimension()
// floats with L2 norm 1 (or all zeros for a text with no features). The role
// lets embedders that distinguish queries from documents do so.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/cancellation.hpp"

namespace weir {

class Database;

enum class EmbeddingRole { document, query };

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string spec() const = 0;
  virtual int dimension() const = 0;
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts, EmbeddingRole role,
                                                const CancelToken& cancel) = 0;
};

// "local" → the built-in embedder; "provider/model" → remote. `dimension` 0
// means the embedder's default (local) or discover it with one call (remote).
std::unique_ptr<Embedder> make_embedder(const std::string& spec, int dimension, Database& database);

}  // namespace weir
