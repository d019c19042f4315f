// Conversation skills — which skills a conversation's model has read, so a
// skill read with read_skill on one request of a conversation (`weir chat
// --session`, an HTTP request's metadata.conversation_id) stays in the
// instructions of its later requests, as it does within one request.
//
// Contract: skills are kept per gateway and conversation, in the order they
// were first read; remembering a slug again keeps its place and refreshes it.
// A skill is remembered when it is read, even if its request fails later: the
// model had asked for it, and would again.
// A conversation not touched for kConversationSkillRetentionDays forgets its
// skills (purged when any conversation remembers one). `now` is milliseconds
// since the epoch, injected so tests can age rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weir {

class Database;

inline constexpr int kConversationSkillRetentionDays = 30;

std::vector<std::string> conversation_skills(Database& database, const std::string& gateway_id,
                                             const std::string& conversation, int64_t now);

void remember_conversation_skills(Database& database, const std::string& gateway_id, const std::string& conversation,
                                  const std::vector<std::string>& slugs, int64_t now);

}  // namespace weir
