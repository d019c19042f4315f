// SemanticCacheIndex — the recent prompts of gateways' semantic caches, in
// memory, for a brute-force cosine scan.
//
// The store's response_cache rows are the truth; the index holds, per store
// and gateway, each live entry's id, context key, expiry and embedding. It is
// loaded lazily and kept fresh: every lookup first reads the gateway's rows
// with ids above the last one it saw (one indexed read, usually empty), so
// entries another process stored are found too. Entries deleted behind its
// back (`weir cache clear`, eviction) are noticed when their row is read for
// a hit and forgotten then; expired ones are skipped and dropped. At most
// kMaxEntries per gateway are held (the oldest go first), as the store keeps.
//
// A scan compares unit vectors by dot product: a few thousand 512-float
// entries take well under a millisecond. Thread-safe: a server shares the
// process-wide index (shared()) between its requests.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weir {

class Database;

class SemanticCacheIndex {
 public:
  static constexpr int kMaxEntries = 4096;

  struct Match {
    int64_t id = 0;
    double similarity = 0;
  };

  static SemanticCacheIndex& shared();

  // The most similar live entry of `gateway_id` whose context key is
  // `context_key` and similarity at least `threshold`; nullopt when none.
  std::optional<Match> best(Database& database, const std::string& gateway_id, const std::string& context_key,
                            const std::vector<float>& embedding, double threshold, int64_t now);
  // Drops an entry whose row turned out to be gone.
  void forget(const Database& database, const std::string& gateway_id, int64_t id);

 private:
  struct Entry {
    int64_t id;
    std::string context_key;
    int64_t expires_at;
    std::vector<float> embedding;
  };
  struct Gateway {
    int64_t last_id = 0;
    std::vector<Entry> entries;  // by id, oldest first
  };
  using Slot = std::pair<std::string, std::string>;  // store path, gateway id

  std::mutex mutex_;
  std::map<Slot, Gateway> gateways_;
};

}  // namespace weir
