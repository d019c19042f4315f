#include "core/rag/lexical_retriever.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/rag/lexical_query.hpp"
#include "core/store/database.hpp"
#include "core/store/document_repository.hpp"
#include "core/store/full_text_statistics.hpp"

namespace weir {

namespace {
// How many store-wide matches to rank per wanted candidate, over the
// collection's share of the store, and the most worth ranking that way.
constexpr double kOverFetchMargin = 1.5;
constexpr size_t kOverFetchLimit = 1000;
// Words remembered per cache before it starts over (bounds its memory).
constexpr size_t kCommonTermCacheLimit = 100000;

std::string joined(const std::vector<std::string>& phrases, const char* separator) {
  std::string expression;
  for (const auto& phrase : phrases) {
    if (!expression.empty()) expression += separator;
    expression += phrase;
  }
  return expression;
}

// Documents holding `phrase`, counted only up to `cap` + 1: the count stops
// as soon as the phrase is known to be common, so probing costs a fraction of
// what scoring those documents would.
bool is_common(Database& database, const std::string& phrase, int64_t cap) {
  auto probe = database.prepare(
      "SELECT count(*) FROM (SELECT 1 FROM documents_fts WHERE documents_fts MATCH ?1 LIMIT ?2)");
  probe.bind(1, phrase).bind(2, cap + 1);
  probe.step();
  return probe.integer(0) > cap;
}

// The rule of the header: a share of the store, within the floor and ceiling.
int64_t common_term_threshold(int64_t store_documents) {
  auto share = static_cast<int64_t>(kCommonTermShare * static_cast<double>(store_documents));
  return std::clamp(share, kCommonTermFloor, kCommonTermCeiling);
}

// Every match joined to its document row, filtered there. Exact for any
// collection and tag filter, but a row read per match (~2.5 µs, since a row
// carries its vector) for every match in the store.
std::vector<LexicalCandidate> match_joined(Database& database, const LexicalQuery& query,
                                           const std::string& expression, int64_t full_text_version) {
  auto statement = database.prepare(
      "SELECT d.id, weir_bm25(documents_fts, ?4) AS score FROM documents_fts JOIN documents d "
      "ON d.id = documents_fts.rowid WHERE documents_fts MATCH ?1 AND d.collection_id = ?2" +
      tag_condition_sql(query.tags.size(), 5) + " ORDER BY score LIMIT ?3");
  statement.bind(1, expression).bind(2, query.collection_id).bind(3, static_cast<int64_t>(query.limit));
  statement.bind(4, full_text_version);
  for (size_t index = 0; index < query.tags.size(); ++index)
    statement.bind(static_cast<int>(index) + 5, query.tags[index]);
  std::vector<LexicalCandidate> candidates;
  while (statement.step()) candidates.push_back({statement.integer(0), -statement.real(1)});
  return candidates;
}

// The best `fetch` matches of the whole store, ranked without reading a
// document row, then kept if they belong to the collection: only `fetch`
// rows are read. (Not for tag filters: how many documents carry the tags is
// unknown, so no `fetch` could be chosen.) nullopt when too few survived while
// more matches may exist, so the exact join must decide.
std::optional<std::vector<LexicalCandidate>> match_over_fetched(Database& database, const LexicalQuery& query,
                                                                const std::string& expression, size_t fetch,
                                                                int64_t full_text_version) {
  auto ranked = database.prepare(
      "SELECT rowid, weir_bm25(documents_fts, ?3) AS score FROM documents_fts WHERE documents_fts MATCH ?1 "
      "ORDER BY score LIMIT ?2");
  ranked.bind(1, expression).bind(2, static_cast<int64_t>(fetch)).bind(3, full_text_version);
  std::vector<LexicalCandidate> matches;
  nlohmann::json ids = nlohmann::json::array();
  while (ranked.step()) {
    matches.push_back({ranked.integer(0), -ranked.real(1)});
    ids.push_back(matches.back().document);
  }
  if (matches.empty()) return matches;

  // CROSS JOIN fixes the order: driven by the collection_id index instead,
  // the planner would walk all of the collection's ids.
  auto members = database.prepare(
      "SELECT d.id FROM json_each(?1) j CROSS JOIN documents d ON d.id = j.value WHERE d.collection_id = ?2");
  members.bind(1, ids.dump()).bind(2, query.collection_id);
  std::unordered_set<int64_t> kept;
  while (members.step()) kept.insert(members.integer(0));

  std::vector<LexicalCandidate> candidates;
  for (const auto& match : matches) {
    if (candidates.size() == query.limit) break;
    if (kept.count(match.document)) candidates.push_back(match);
  }
  if (candidates.size() < query.limit && matches.size() == fetch) return std::nullopt;
  return candidates;
}

std::vector<LexicalCandidate> run_match(Database& database, const LexicalQuery& query, const std::string& expression,
                                        double collection_share, int64_t full_text_version) {
  // Enough store-wide matches that `limit` of them are likely the
  // collection's; when that would be most of the store, join instead.
  double wanted = static_cast<double>(query.limit) * kOverFetchMargin / std::max(collection_share, 1e-9);
  if (query.tags.empty() && wanted <= static_cast<double>(kOverFetchLimit))
    if (auto candidates = match_over_fetched(database, query, expression, static_cast<size_t>(std::ceil(wanted)),
                                             full_text_version))
      return *candidates;
  return match_joined(database, query, expression, full_text_version);
}
}  // namespace

std::vector<LexicalCandidate> lexical_candidates(Database& database, const LexicalQuery& query) {
  auto phrases = fts_match_phrases(query.text);
  if (phrases.empty()) return {};
  auto statistics = full_text_statistics(database);
  auto store_documents = statistics.documents;
  double share = 0;  // unknown: always join
  if (query.collection_documents >= 0)
    share = store_documents > 0 ? std::min(1.0, static_cast<double>(query.collection_documents) /
                                                    static_cast<double>(store_documents))
                                : 1.0;
  auto match = [&](const std::vector<std::string>& chosen, const char* separator) {
    return run_match(database, query, joined(chosen, separator), share, statistics.structure_version);
  };
  std::vector<std::string> rare;
  // One phrase has nothing to leave out.
  if (phrases.size() > 1) {
    auto threshold =
        query.common_term_documents > 0 ? query.common_term_documents : common_term_threshold(store_documents);
    CommonTermCache uncached;
    auto& cache = query.common_terms ? *query.common_terms : uncached;
    if (cache.statistics != statistics.averages || cache.threshold != threshold ||
        cache.common.size() > kCommonTermCacheLimit) {
      cache.common.clear();
      cache.statistics = statistics.averages;
      cache.threshold = threshold;
    }
    for (const auto& phrase : phrases) {
      auto found = cache.common.find(phrase);
      // Remembered only once the probe has answered.
      bool common = found != cache.common.end() ? found->second
                                                : cache.common.emplace(phrase, is_common(database, phrase, threshold))
                                                      .first->second;
      if (!common) rare.push_back(phrase);
    }
  }
  if (phrases.size() == 1 || rare.size() == phrases.size()) return match(phrases, " OR ");
  // The rare words may all live in other collections (counts are over the
  // store): with no candidate here, the whole query is searched after all.
  auto candidates = rare.empty() ? match(phrases, " AND ") : match(rare, " OR ");
  if (candidates.empty()) candidates = match(phrases, " OR ");
  return candidates;
}

}  // namespace weir
