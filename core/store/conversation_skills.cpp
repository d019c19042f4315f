#include "core/store/conversation_skills.hpp"

#include "core/store/database.hpp"

namespace weir {

namespace {

constexpr int64_t kRetentionMilliseconds = int64_t{kConversationSkillRetentionDays} * 24 * 60 * 60 * 1000;

}  // namespace

std::vector<std::string> conversation_skills(Database& database, const std::string& gateway_id,
                                             const std::string& conversation, int64_t now) {
  auto query = database.prepare(
      "SELECT slug FROM conversation_skills WHERE gateway_id = ?1 AND conversation = ?2 AND read_at > ?3 "
      "ORDER BY first_read_at, slug");
  query.bind(1, gateway_id).bind(2, conversation).bind(3, now - kRetentionMilliseconds);
  std::vector<std::string> slugs;
  while (query.step()) slugs.push_back(query.text(0));
  return slugs;
}

void remember_conversation_skills(Database& database, const std::string& gateway_id, const std::string& conversation,
                                  const std::vector<std::string>& slugs, int64_t now) {
  database.transaction([&] {
    auto purge = database.prepare("DELETE FROM conversation_skills WHERE read_at <= ?1");
    purge.bind(1, now - kRetentionMilliseconds).run();
    // A conversation's skills age together: reading one keeps all of them.
    auto refresh = database.prepare("UPDATE conversation_skills SET read_at = ?3 WHERE gateway_id = ?1 AND conversation = ?2");
    refresh.bind(1, gateway_id).bind(2, conversation).bind(3, now).run();
    for (const auto& slug : slugs) {
      auto insert = database.prepare(
          "INSERT INTO conversation_skills (gateway_id, conversation, slug, first_read_at, read_at) "
          "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT DO NOTHING");
      insert.bind(1, gateway_id).bind(2, conversation).bind(3, slug).bind(4, now).run();
    }
  });
}

}  // namespace weir
