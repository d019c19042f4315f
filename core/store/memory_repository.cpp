#include "core/store/memory_repository.hpp"

#include <sstream>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {

constexpr int64_t kMillisecondsPerDay = 24LL * 60 * 60 * 1000;
constexpr const char* kColumns = "id, user, gateway_id, text, created_at, updated_at, expires_at";

Memory read_row(Statement& query) {
  Memory memory;
  memory.id = query.integer(0);
  memory.user = query.text(1);
  memory.gateway_id = query.optional_text(2);
  memory.text = query.text(3);
  memory.created_at = query.integer(4);
  memory.updated_at = query.integer(5);
  memory.expires_at = query.integer(6);
  return memory;
}

void check_text(const std::string& text) {
  if (text.empty()) throw Error(ErrorKind::usage, "a memory needs some text");
  if (text.size() > kLongestMemoryText)
    throw Error(ErrorKind::usage, "a memory holds at most 10240 bytes, this text has " + std::to_string(text.size()) +
                                      "; save a shorter summary");
}

void check_scope(const MemoryScope& scope) {
  if (scope.user.empty())
    throw Error(ErrorKind::usage, "memories belong to a user, and this request names none; send `user` in the request "
                                  "body, the X-Mcp-User header or `weir chat --user NAME`");
}

// "(user = ?1 AND (gateway_id = ?2 OR gateway_id IS NULL))" and friends; ?3 is now.
std::string scope_condition(const MemoryScope& scope) {
  std::string condition = "user = ?1 AND expires_at > ?3";
  if (scope.every_gateway) return condition;
  return condition + (scope.gateway_id ? " AND (gateway_id = ?2 OR gateway_id IS NULL)" : " AND gateway_id IS NULL");
}

void bind_scope(Statement& statement, const MemoryScope& scope, int64_t now) {
  statement.bind(1, scope.user);
  if (scope.gateway_id)
    statement.bind(2, *scope.gateway_id);
  else
    statement.bind_null(2);
  statement.bind(3, now);
}

std::string like_pattern(const std::string& word) {
  std::string pattern = "%";
  for (char character : word) {
    if (character == '%' || character == '_' || character == '\\') pattern += '\\';
    pattern += character;
  }
  return pattern + "%";
}

}  // namespace

nlohmann::json Memory::to_json() const {
  return {{"id", id},
          {"user", user},
          {"gateway_id", gateway_id ? nlohmann::json(*gateway_id) : nlohmann::json(nullptr)},
          {"shared", !gateway_id.has_value()},
          {"text", text},
          {"created_at", format_timestamp(created_at)},
          {"updated_at", format_timestamp(updated_at)},
          {"expires_at", format_timestamp(expires_at)}};
}

MemoryRepository::MemoryRepository(Database& database, MillisecondClock clock)
    : database_(database), clock_(std::move(clock)) {}

int64_t MemoryRepository::now() const { return clock_ ? clock_() : now_milliseconds(); }

Memory MemoryRepository::save(const MemoryScope& scope, const std::string& text, int retention_days, bool shared) {
  check_scope(scope);
  check_text(text);
  if (retention_days < 1 || retention_days > kLongestMemoryRetentionDays)
    throw Error(ErrorKind::usage, "a memory's retention_days must be from 1 to 365, got " +
                                      std::to_string(retention_days));
  if (!shared && !scope.gateway_id)
    throw Error(ErrorKind::usage, "a memory that is not shared needs the gateway it belongs to");
  purge_expired();
  Memory memory;
  memory.user = scope.user;
  if (!shared) memory.gateway_id = scope.gateway_id;
  memory.text = text;
  memory.created_at = memory.updated_at = now();
  memory.expires_at = memory.created_at + retention_days * kMillisecondsPerDay;
  auto insert = database_.prepare(
      "INSERT INTO memories(user, gateway_id, text, created_at, updated_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?4, ?5)");
  insert.bind(1, memory.user).bind(2, memory.gateway_id).bind(3, memory.text).bind(4, memory.created_at);
  insert.bind(5, memory.expires_at).run();
  memory.id = database_.last_insert_rowid();
  return memory;
}

std::vector<Memory> MemoryRepository::search(const MemoryScope& scope, const std::string& query, int limit) {
  check_scope(scope);
  std::vector<std::string> words;
  std::istringstream split(query);
  for (std::string word; split >> word && words.size() < 16;) words.push_back(word);
  std::string sql = std::string("SELECT ") + kColumns + " FROM memories WHERE " + scope_condition(scope);
  for (size_t index = 0; index < words.size(); ++index)
    sql += " AND text LIKE ?" + std::to_string(index + 5) + " ESCAPE '\\'";
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?4";
  auto statement = database_.prepare(sql);
  bind_scope(statement, scope, now());
  statement.bind(4, static_cast<int64_t>(std::max(1, limit)));
  for (size_t index = 0; index < words.size(); ++index)
    statement.bind(static_cast<int>(index + 5), like_pattern(words[index]));
  std::vector<Memory> found;
  while (statement.step()) found.push_back(read_row(statement));
  return found;
}

std::optional<Memory> MemoryRepository::find(const MemoryScope& scope, int64_t id) {
  check_scope(scope);
  auto statement = database_.prepare(std::string("SELECT ") + kColumns + " FROM memories WHERE " +
                                     scope_condition(scope) + " AND id = ?4");
  bind_scope(statement, scope, now());
  statement.bind(4, id);
  if (!statement.step()) return std::nullopt;
  return read_row(statement);
}

bool MemoryRepository::update(const MemoryScope& scope, int64_t id, const std::string& text) {
  check_scope(scope);
  check_text(text);
  purge_expired();
  auto statement = database_.prepare("UPDATE memories SET text = ?5, updated_at = ?3 WHERE " + scope_condition(scope) +
                                     " AND id = ?4");
  bind_scope(statement, scope, now());
  statement.bind(4, id).bind(5, text).run();
  return database_.changes() > 0;
}

bool MemoryRepository::remove(const MemoryScope& scope, int64_t id) {
  check_scope(scope);
  purge_expired();
  auto statement = database_.prepare("DELETE FROM memories WHERE " + scope_condition(scope) + " AND id = ?4");
  bind_scope(statement, scope, now());
  statement.bind(4, id).run();
  return database_.changes() > 0;
}

int64_t MemoryRepository::purge_expired() {
  database_.prepare("DELETE FROM memories WHERE expires_at <= ?1").bind(1, now()).run();
  return database_.changes();
}

}  // namespace weir
