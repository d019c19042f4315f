#include "core/store/response_cache_repository.hpp"

#include <cstring>

#include "core/store/database.hpp"

namespace weir {

namespace {

constexpr const char* kColumns =
    "id, gateway_id, key, context_key, prompt, embedding, answer, cost, created_at, expires_at";

std::vector<float> floats_of(const Statement& row, int column) {
  auto [data, size] = row.blob(column);
  std::vector<float> values(size / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), data, values.size() * sizeof(float));
  return values;
}

CachedAnswer entry_of(const Statement& row, bool with_answer) {
  CachedAnswer entry;
  entry.id = row.integer(0);
  entry.gateway_id = row.text(1);
  entry.key = row.text(2);
  entry.context_key = row.text(3);
  entry.prompt = row.text(4);
  if (!row.is_null(5)) entry.embedding = floats_of(row, 5);
  if (with_answer) entry.answer = nlohmann::json::parse(row.text(6), nullptr, false);
  entry.cost = row.real(7);
  entry.created_at = row.integer(8);
  entry.expires_at = row.integer(9);
  return entry;
}

}  // namespace

nlohmann::json CacheStatistics::to_json() const {
  return {{"gateway_id", gateway_id}, {"gateway", gateway_name}, {"entries", entries},
          {"hits", hits},             {"misses", misses},        {"saved", saved}};
}

std::optional<CachedAnswer> ResponseCacheRepository::find(const std::string& gateway_id, const std::string& key,
                                                          int64_t now) {
  auto query = database_.prepare(std::string("SELECT ") + kColumns +
                                 " FROM response_cache WHERE gateway_id = ?1 AND key = ?2 AND expires_at > ?3");
  query.bind(1, gateway_id).bind(2, key).bind(3, now);
  if (!query.step()) return std::nullopt;
  auto entry = entry_of(query, true);
  if (entry.answer.is_discarded()) return std::nullopt;  // not ours to replay
  return entry;
}

std::optional<CachedAnswer> ResponseCacheRepository::get(int64_t id, int64_t now) {
  auto query =
      database_.prepare(std::string("SELECT ") + kColumns + " FROM response_cache WHERE id = ?1 AND expires_at > ?2");
  query.bind(1, id).bind(2, now);
  if (!query.step()) return std::nullopt;
  auto entry = entry_of(query, true);
  if (entry.answer.is_discarded()) return std::nullopt;
  return entry;
}

std::vector<CachedAnswer> ResponseCacheRepository::embedded_after(const std::string& gateway_id, int64_t after_id,
                                                                  int64_t now) {
  auto query = database_.prepare(std::string("SELECT ") + kColumns +
                                 " FROM response_cache WHERE gateway_id = ?1 AND id > ?2 AND expires_at > ?3 "
                                 "AND embedding IS NOT NULL ORDER BY id");
  query.bind(1, gateway_id).bind(2, after_id).bind(3, now);
  std::vector<CachedAnswer> entries;
  while (query.step()) entries.push_back(entry_of(query, false));
  return entries;
}

int64_t ResponseCacheRepository::store(const CachedAnswer& entry, int64_t now, int max_entries) {
  int64_t id = 0;
  database_.transaction([&] {
    database_.prepare("DELETE FROM response_cache WHERE expires_at <= ?1").bind(1, now).run();
    auto insert = database_.prepare(
        "INSERT OR REPLACE INTO response_cache(gateway_id, key, context_key, prompt, embedding, answer, cost, "
        "created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    insert.bind(1, entry.gateway_id).bind(2, entry.key).bind(3, entry.context_key).bind(4, entry.prompt);
    if (entry.embedding.empty())
      insert.bind_null(5);
    else
      insert.bind_blob(5, entry.embedding.data(), entry.embedding.size() * sizeof(float));
    insert.bind(6, entry.answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(7, entry.cost)
        .bind(8, entry.created_at)
        .bind(9, entry.expires_at)
        .run();
    id = database_.last_insert_rowid();
    // The oldest beyond the cap go: ids grow with time, so the cap's newest
    // are the highest ids.
    database_
        .prepare("DELETE FROM response_cache WHERE gateway_id = ?1 AND id <= (SELECT id FROM response_cache "
                 "WHERE gateway_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)")
        .bind(1, entry.gateway_id)
        .bind(2, static_cast<int64_t>(max_entries))
        .run();
  });
  return id;
}

long long ResponseCacheRepository::clear(const std::string& gateway_id) {
  if (gateway_id.empty())
    database_.execute("DELETE FROM response_cache");
  else
    database_.prepare("DELETE FROM response_cache WHERE gateway_id = ?1").bind(1, gateway_id).run();
  return database_.changes();
}

std::vector<CacheStatistics> ResponseCacheRepository::statistics(const std::string& gateway_id, int64_t now) {
  auto query = database_.prepare(
      "SELECT gateways.id, gateways.name, "
      "(SELECT count(*) FROM response_cache WHERE gateway_id = gateways.id AND expires_at > ?2), "
      "coalesce(log.hits, 0), coalesce(log.misses, 0), coalesce(log.saved, 0) "
      "FROM gateways LEFT JOIN (SELECT gateway_id, sum(cache = 'hit') AS hits, sum(cache = 'miss') AS misses, "
      "sum(saved) AS saved FROM requests WHERE cache IS NOT NULL GROUP BY gateway_id) AS log "
      "ON log.gateway_id = gateways.id "
      "WHERE (?1 = '' OR gateways.id = ?1) AND (json_extract(gateways.config, '$.cache') IS NOT NULL "
      "OR log.gateway_id IS NOT NULL OR EXISTS (SELECT 1 FROM response_cache WHERE gateway_id = gateways.id)) "
      "ORDER BY gateways.name");
  query.bind(1, gateway_id).bind(2, now);
  std::vector<CacheStatistics> rows;
  while (query.step()) {
    CacheStatistics row;
    row.gateway_id = query.text(0);
    row.gateway_name = query.text(1);
    row.entries = query.integer(2);
    row.hits = query.integer(3);
    row.misses = query.integer(4);
    row.saved = query.real(5);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace weir
