#include "core/rag/lexical_retriever.hpp"

#include <algorithm>

#include "core/rag/lexical_query.hpp"
#include "core/store/database.hpp"
#include "core/store/document_repository.hpp"

namespace weir {

namespace {
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
// FTS5 keeps one small docsize row per document, the cheapest thing to count.
int64_t common_term_threshold(Database& database) {
  auto count = database.prepare("SELECT count(*) FROM documents_fts_docsize");
  count.step();
  auto share = static_cast<int64_t>(kCommonTermShare * static_cast<double>(count.integer(0)));
  return std::clamp(share, kCommonTermFloor, kCommonTermCeiling);
}

std::vector<LexicalCandidate> run_match(Database& database, const LexicalQuery& query, const std::string& expression) {
  auto statement = database.prepare(
      "SELECT d.id, -bm25(documents_fts) FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
      "WHERE documents_fts MATCH ?1 AND d.collection_id = ?2" + tag_condition_sql(query.tags.size(), 4) +
      " ORDER BY bm25(documents_fts) LIMIT ?3");
  statement.bind(1, expression).bind(2, query.collection_id).bind(3, static_cast<int64_t>(query.limit));
  for (size_t index = 0; index < query.tags.size(); ++index)
    statement.bind(static_cast<int>(index) + 4, query.tags[index]);
  std::vector<LexicalCandidate> candidates;
  while (statement.step()) candidates.push_back({statement.integer(0), statement.real(1)});
  return candidates;
}
}  // namespace

std::vector<LexicalCandidate> lexical_candidates(Database& database, const LexicalQuery& query) {
  auto phrases = fts_match_phrases(query.text);
  if (phrases.empty()) return {};
  std::vector<std::string> rare;
  // One phrase has nothing to leave out.
  if (phrases.size() > 1) {
    auto threshold = query.common_term_documents > 0 ? query.common_term_documents : common_term_threshold(database);
    for (const auto& phrase : phrases)
      if (!is_common(database, phrase, threshold)) rare.push_back(phrase);
  }
  if (phrases.size() == 1 || rare.size() == phrases.size()) return run_match(database, query, joined(phrases, " OR "));
  // The rare words may all live in other collections (counts are over the
  // store): with no candidate here, the whole query is searched after all.
  auto candidates = run_match(database, query, joined(rare.empty() ? phrases : rare, rare.empty() ? " AND " : " OR "));
  if (candidates.empty()) candidates = run_match(database, query, joined(phrases, " OR "));
  return candidates;
}

}  // namespace weir
