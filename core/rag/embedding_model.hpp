// Embeddings by model name, for clients that expect an OpenAI-style
// `POST /v1/embeddings` (http/embeddings_route.cpp): the same vectors a
// collection's search compares, so a tool can embed text the way weir does.
//
// A model name is one of:
//   "local"              the built-in offline embedder (dimension from
//                        `dimensions`, 64..4096; default 512)
//   a collection's name  that collection's embedder and dimension (`dimensions`,
//                        if given, must equal it)
//   "@PROVIDER/MODEL" or "PROVIDER/MODEL"   a provider's /embeddings endpoint
// Anything else is Error(not_found) naming the choices. Inputs are texts
// (1..kMostEmbeddingInputs of them, none empty, each at most
// kMostEmbeddingInputBytes); Error(usage) says which one is not.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.hpp"

namespace weir {

class Database;

inline constexpr size_t kMostEmbeddingInputs = 2048;
inline constexpr size_t kMostEmbeddingInputBytes = 256 * 1024;
// Texts × dimension of the local embedder per request (16 MB of floats).
inline constexpr size_t kMostEmbeddingFloats = 4 * 1024 * 1024;

struct EmbeddingResult {
  std::string model;                  // as the caller named it
  std::vector<std::vector<float>> vectors;  // one per input, in order
  long long prompt_tokens = 0;        // estimated for local embedders
};

EmbeddingResult embed_for_model(Database& database, const std::string& model, const std::vector<std::string>& inputs,
                                std::optional<int> dimensions, const CancelToken& cancel);

}  // namespace weir
