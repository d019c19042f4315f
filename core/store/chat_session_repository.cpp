#include "core/store/chat_session_repository.hpp"

#include "core/store/database.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr const char* kColumns =
    "s.id, s.client, s.tag, s.extra_context, s.lifetime, s.expires_at, s.created_at, s.opened_by_key";
constexpr int64_t kHour = 3600LL * 1000;

ChatSession read_session(Statement& row) {
  ChatSession session;
  session.id = row.text(0);
  session.client = row.text(1);
  session.tag = row.is_null(2) ? "" : row.text(2);
  session.extra_context = row.text(3);
  session.lifetime = row.integer(4);
  session.expires_at = row.integer(5);
  session.created_at = row.integer(6);
  session.opened_by_key = row.is_null(7) ? "" : row.text(7);
  return session;
}

}  // namespace

void ChatSessionRepository::create(const ChatSession& session) {
  auto insert = database_.prepare(
      "INSERT INTO chat_sessions (id, client, tag, extra_context, lifetime, expires_at, created_at, opened_by_key) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.bind(1, session.id).bind(2, session.client);
  if (session.tag.empty()) insert.bind_null(3); else insert.bind(3, session.tag);
  insert.bind(4, session.extra_context).bind(5, session.lifetime).bind(6, session.expires_at).bind(7, session.created_at);
  if (session.opened_by_key.empty()) insert.bind_null(8); else insert.bind(8, session.opened_by_key);
  insert.run();
}

void ChatSessionRepository::update(const ChatSession& session) {
  auto update = database_.prepare(
      "UPDATE chat_sessions SET extra_context = ?2, lifetime = ?3, expires_at = ?4 WHERE id = ?1");
  update.bind(1, session.id).bind(2, session.extra_context).bind(3, session.lifetime).bind(4, session.expires_at);
  update.run();
}

std::optional<ChatSession> ChatSessionRepository::live_with_tag(const std::string& client, const std::string& tag,
                                                                const std::string& opened_by_key, int64_t now) {
  auto query = database_.prepare("SELECT " + std::string(kColumns) +
                                 " FROM chat_sessions s WHERE s.client = ?1 AND s.tag = ?2 AND s.opened_by_key IS ?3"
                                 " AND s.expires_at > ?4 ORDER BY s.expires_at DESC LIMIT 1");
  query.bind(1, client).bind(2, tag);
  if (opened_by_key.empty()) query.bind_null(3); else query.bind(3, opened_by_key);
  query.bind(4, now);
  if (!query.step()) return std::nullopt;
  return read_session(query);
}

void ChatSessionRepository::add_key(const std::string& session_id, const std::string& key_hash) {
  auto insert = database_.prepare("INSERT INTO chat_session_keys (hash, session_id) VALUES (?1, ?2)");
  insert.bind(1, key_hash).bind(2, session_id);
  insert.run();
}

std::optional<ChatSession> ChatSessionRepository::by_key(const std::string& key_hash) {
  auto query = database_.prepare("SELECT " + std::string(kColumns) +
                                 " FROM chat_session_keys k JOIN chat_sessions s ON s.id = k.session_id WHERE k.hash = ?1");
  query.bind(1, key_hash);
  if (!query.step()) return std::nullopt;
  return read_session(query);
}

void ChatSessionRepository::set_expiry(const std::string& session_id, int64_t expires_at) {
  auto update = database_.prepare("UPDATE chat_sessions SET expires_at = ?2 WHERE id = ?1");
  update.bind(1, session_id).bind(2, expires_at);
  update.run();
}

int64_t ChatSessionRepository::live_count(const std::string& client, int64_t now) {
  auto query = database_.prepare("SELECT count(*) FROM chat_sessions WHERE client = ?1 AND expires_at > ?2");
  query.bind(1, client).bind(2, now);
  query.step();
  return query.integer(0);
}

void ChatSessionRepository::remove_ended(int64_t before) {
  auto erase = database_.prepare("DELETE FROM chat_sessions WHERE expires_at < ?1");
  erase.bind(1, before);
  erase.run();
}

json ChatSessionRepository::messages(const std::string& session_id) {
  auto query = database_.prepare("SELECT message FROM chat_session_messages WHERE session_id = ?1 ORDER BY id");
  query.bind(1, session_id);
  auto messages = json::array();
  while (query.step()) {
    auto message = json::parse(query.text(0), nullptr, false);
    if (message.is_object()) messages.push_back(std::move(message));
  }
  return messages;
}

void ChatSessionRepository::append(const std::string& session_id, const json& new_messages, int64_t now) {
  database_.transaction([&] {
    auto insert = database_.prepare("INSERT INTO chat_session_messages (session_id, message, created_at) VALUES (?1, ?2, ?3)");
    for (const auto& message : new_messages) {
      insert.bind(1, session_id).bind(2, message.dump(-1, ' ', false, json::error_handler_t::replace)).bind(3, now);
      insert.run();
      insert.reset();
    }
    auto trim = database_.prepare(
        "DELETE FROM chat_session_messages WHERE session_id = ?1 AND id <= (SELECT id FROM chat_session_messages"
        " WHERE session_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    trim.bind(1, session_id).bind(2, int64_t{kMaxSessionMessages});
    trim.run();
  });
}

void ChatSessionRepository::clear(const std::string& session_id) {
  auto erase = database_.prepare("DELETE FROM chat_session_messages WHERE session_id = ?1");
  erase.bind(1, session_id);
  erase.run();
}

json ChatSessionRepository::take_last_turn(const std::string& session_id) {
  json taken = json::array();
  database_.transaction([&] {
    auto query = database_.prepare(
        "SELECT id FROM chat_session_messages WHERE session_id = ?1 AND json_extract(message, '$.role') = 'user'"
        " ORDER BY id DESC LIMIT 1");
    query.bind(1, session_id);
    if (!query.step()) return;
    auto id = query.integer(0);
    query.reset();
    auto turn = database_.prepare(
        "SELECT message FROM chat_session_messages WHERE session_id = ?1 AND id >= ?2 ORDER BY id");
    turn.bind(1, session_id).bind(2, id);
    while (turn.step()) taken.push_back(json::parse(turn.text(0), nullptr, false));
    turn.reset();
    auto erase = database_.prepare("DELETE FROM chat_session_messages WHERE session_id = ?1 AND id >= ?2");
    erase.bind(1, session_id).bind(2, id);
    erase.run();
  });
  return taken;
}

void ChatSessionRepository::record_send(const std::string& session_id, int64_t now) {
  auto forget = database_.prepare("DELETE FROM chat_session_sends WHERE session_id = ?1 AND sent_at < ?2");
  forget.bind(1, session_id).bind(2, now - kHour);
  forget.run();
  auto insert = database_.prepare("INSERT INTO chat_session_sends (session_id, sent_at) VALUES (?1, ?2)");
  insert.bind(1, session_id).bind(2, now);
  insert.run();
  auto count = database_.prepare("UPDATE chat_sessions SET sends_total = sends_total + 1 WHERE id = ?1");
  count.bind(1, session_id);
  count.run();
}

int64_t ChatSessionRepository::total_sends(const std::string& session_id) {
  auto query = database_.prepare("SELECT sends_total FROM chat_sessions WHERE id = ?1");
  query.bind(1, session_id);
  return query.step() ? query.integer(0) : 0;
}

int64_t ChatSessionRepository::sends_since(const std::string& session_id, int64_t since) {
  auto query = database_.prepare("SELECT count(*) FROM chat_session_sends WHERE session_id = ?1 AND sent_at >= ?2");
  query.bind(1, session_id).bind(2, since);
  query.step();
  return query.integer(0);
}

std::optional<int64_t> ChatSessionRepository::first_send_since(const std::string& session_id, int64_t since) {
  auto query = database_.prepare("SELECT min(sent_at) FROM chat_session_sends WHERE session_id = ?1 AND sent_at >= ?2");
  query.bind(1, session_id).bind(2, since);
  query.step();
  if (query.is_null(0)) return std::nullopt;
  return query.integer(0);
}

}  // namespace weir
