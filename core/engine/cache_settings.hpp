// CacheSettings — a gateway's `cache` block, typed (the schema rows are
// cache_schema() in core/gateway/config_schema.cpp).
//
// from_config() reads a configuration already validated by those rows and
// never throws on one; nullopt means the gateway has no cache. Unset fields
// take the rows' defaults, so what `gateway show` prints is what applies.
#pragma once

#include <cstdint>
#include <optional>

#include "core/gateway/config_schema.hpp"
#include "core/gateway/gateway_config.hpp"

namespace weir {

struct CacheSettings {
  CacheMode mode = CacheMode::exact;
  int64_t ttl_ms = 3'600'000;
  // Semantic mode: the least cosine similarity of two prompts' embeddings
  // (the local embedder's) for one to answer for the other. The default was
  // chosen on tests/data/cache_pairs.jsonl: the most similar pair of
  // different questions there is at 0.77, paraphrases reach 0.8-1.0; 0.85
  // keeps a margin above the first (a wrong answer costs more than a miss).
  double threshold = 0.85;
  // A request sampled above this temperature bypasses the cache: its caller
  // asked for variety, which replaying one answer would not give.
  double max_temperature = 1.0;

  static std::optional<CacheSettings> from_config(const GatewayConfig& config);
};

}  // namespace weir
