// ResponseCacheRepository — the stored answers of gateways' response caches
// (migration 12), and what the request log says of how requests met them.
//
// An entry belongs to one gateway and is found by its exact key (one indexed
// point read) or, for semantic lookups, by row id after an in-memory
// similarity scan (core/engine/semantic_cache_index.hpp) over the entries'
// embeddings. An entry is live until its expires_at (unix ms): reads never
// return an expired one, and store() deletes every expired row of the store
// and all but the newest `max_entries` of the entry's gateway, so the table
// stays bounded without a sweeper. Times are passed in (the caller's
// injected clock), never read here. Errors are the store's Error(runtime).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct CachedAnswer {
  int64_t id = 0;  // set by store()
  std::string gateway_id;
  std::string key;          // exact: a hash of everything the answer depends on
  std::string context_key;  // the same without the prompt (semantic lookups compare it exactly)
  std::string prompt;       // the text embedded (semantic), else ""
  std::vector<float> embedding;  // unit length; empty for an exact-mode entry
  nlohmann::json answer;    // what the engine replays (core/engine/response_cache.hpp)
  double cost = 0;          // USD the answer cost upstream: what each hit saves
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

// One gateway's cache as `weir cache stats` shows it.
struct CacheStatistics {
  std::string gateway_id;
  std::string gateway_name;
  long long entries = 0;  // live entries
  long long hits = 0;     // request log rows answered from the cache
  long long misses = 0;   // rows looked up and not found (bypasses are neither)
  double saved = 0;       // USD the hits would have cost
  nlohmann::json to_json() const;
};

class ResponseCacheRepository {
 public:
  explicit ResponseCacheRepository(Database& database) : database_(database) {}

  // The live entry of `gateway_id` under `key`, answer included.
  std::optional<CachedAnswer> find(const std::string& gateway_id, const std::string& key, int64_t now);
  // The live entry with row id `id`, answer included (nullopt: gone or expired).
  std::optional<CachedAnswer> get(int64_t id, int64_t now);
  // The gateway's live entries with an embedding and an id above `after_id`,
  // oldest first, without their answers (what a semantic index holds).
  std::vector<CachedAnswer> embedded_after(const std::string& gateway_id, int64_t after_id, int64_t now);
  // Inserts `entry` (replacing the gateway's entry under the same key) and
  // returns its id; prunes as the header says. One transaction.
  int64_t store(const CachedAnswer& entry, int64_t now, int max_entries);
  // Deletes the entries of one gateway (by id), or of every gateway for "";
  // returns how many.
  long long clear(const std::string& gateway_id);
  // Every gateway with a cache block, cache entries or cache rows in the log,
  // by name; only `gateway_id`'s when it is not "".
  std::vector<CacheStatistics> statistics(const std::string& gateway_id, int64_t now);

 private:
  Database& database_;
};

}  // namespace weir
