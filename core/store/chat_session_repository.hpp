// ChatSessionRepository — the sessions of web chat clients and their
// conversations (migration 16). Rules (lifetimes, limits, keys) are
// core/chat_client/chat_sessions.hpp's; this stores what they decide.
//
// A session's access keys are kept as SHA-256 hex only. A turn is appended in
// one transaction, so a failed answer never leaves half a turn, and a
// conversation keeps its newest kMaxSessionMessages messages. Sends are
// counted apart from the messages (clearing a conversation keeps them): a
// total, and the times of the last hour's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct ChatSession {
  std::string id;
  std::string client;
  std::string tag;  // "" : none
  std::string extra_context;
  std::string opened_by_key;  // the id of the API key that opened it; "" : the local user
  int64_t lifetime = 0;    // milliseconds; a message near the end extends it by this much
  int64_t expires_at = 0;  // unix milliseconds
  int64_t created_at = 0;
};

// The most messages a session's conversation keeps; older ones are dropped
// as new ones come (the page and the model see at most these).
constexpr int kMaxSessionMessages = 1000;

class ChatSessionRepository {
 public:
  explicit ChatSessionRepository(Database& database) : database_(database) {}

  void create(const ChatSession& session);
  // The session of client `client` tagged `tag`, opened by the same key, that
  // is still live at `now`, the newest.
  std::optional<ChatSession> live_with_tag(const std::string& client, const std::string& tag,
                                           const std::string& opened_by_key, int64_t now);
  void update(const ChatSession& session);  // extra_context, lifetime, expires_at
  void add_key(const std::string& session_id, const std::string& key_hash);
  // The session the key (by its hash) opens, expired or not.
  std::optional<ChatSession> by_key(const std::string& key_hash);
  void set_expiry(const std::string& session_id, int64_t expires_at);
  // Live sessions of a client at `now`.
  int64_t live_count(const std::string& client, int64_t now);
  // Forgets sessions that ended before `before`.
  void remove_ended(int64_t before);

  nlohmann::json messages(const std::string& session_id);  // the conversation, oldest first
  void append(const std::string& session_id, const nlohmann::json& new_messages, int64_t now);
  void clear(const std::string& session_id);
  // Removes the last user message and everything after it, and returns what
  // it removed, oldest first (the user message first), so a retry that fails
  // can put it back; an empty array (nothing removed) when there is no user
  // message.
  nlohmann::json take_last_turn(const std::string& session_id);

  // Counts a prompt, and forgets send times older than an hour before `now`;
  // call inside the transaction that checked the limits.
  void record_send(const std::string& session_id, int64_t now);
  int64_t total_sends(const std::string& session_id);
  // Sends at or after `since`, which must be within the last hour.
  int64_t sends_since(const std::string& session_id, int64_t since);
  // The first send at or after `since` (unix ms), or nullopt.
  std::optional<int64_t> first_send_since(const std::string& session_id, int64_t since);

 private:
  Database& database_;
};

}  // namespace weir
