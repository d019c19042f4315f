#include "core/engine/semantic_cache_index.hpp"

#include <algorithm>

#include "core/store/database.hpp"
#include "core/store/response_cache_repository.hpp"

namespace weir {

SemanticCacheIndex& SemanticCacheIndex::shared() {
  static SemanticCacheIndex index;
  return index;
}

std::optional<SemanticCacheIndex::Match> SemanticCacheIndex::best(Database& database, const std::string& gateway_id,
                                                                  const std::string& context_key,
                                                                  const std::vector<float>& embedding,
                                                                  double threshold, int64_t now) {
  std::lock_guard lock(mutex_);
  auto& gateway = gateways_[{database.path(), gateway_id}];
  for (auto& row : ResponseCacheRepository(database).embedded_after(gateway_id, gateway.last_id, now)) {
    gateway.last_id = row.id;
    gateway.entries.push_back({row.id, std::move(row.context_key), row.expires_at, std::move(row.embedding)});
  }
  std::erase_if(gateway.entries, [now](const Entry& entry) { return entry.expires_at <= now; });
  if (gateway.entries.size() > static_cast<size_t>(kMaxEntries))
    gateway.entries.erase(gateway.entries.begin(),
                          gateway.entries.end() - static_cast<std::ptrdiff_t>(kMaxEntries));
  std::optional<Match> found;
  for (const auto& entry : gateway.entries) {
    if (entry.context_key != context_key || entry.embedding.size() != embedding.size()) continue;
    double similarity = 0;
    for (size_t index = 0; index < embedding.size(); ++index) similarity += entry.embedding[index] * embedding[index];
    if (similarity >= threshold && (!found || similarity > found->similarity)) found = Match{entry.id, similarity};
  }
  return found;
}

void SemanticCacheIndex::forget(const Database& database, const std::string& gateway_id, int64_t id) {
  std::lock_guard lock(mutex_);
  auto found = gateways_.find({database.path(), gateway_id});
  if (found == gateways_.end()) return;
  std::erase_if(found->second.entries, [id](const Entry& entry) { return entry.id == id; });
}

}  // namespace weir
