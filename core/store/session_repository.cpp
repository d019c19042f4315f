#include "core/store/session_repository.hpp"

#include <algorithm>
#include <cstdint>

#include "core/edit_distance.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {

constexpr const char* kSummaryColumns =
    "SELECT s.name, s.target, "
    "(SELECT count(*) FROM messages m WHERE m.session_id = s.id), "
    "(SELECT count(*) FROM messages m WHERE m.session_id = s.id AND json_valid(m.message) "
    "AND json_extract(m.message, '$.role') = 'user'), "
    "s.created_at, s.updated_at FROM sessions s ";

template <typename Query>
SessionSummary read_summary(Query& query) {
  return {query.text(0), query.text(1), query.integer(2), query.integer(3), query.integer(4), query.integer(5)};
}

}  // namespace

nlohmann::json SessionSummary::to_json() const {
  return {{"name", name},   {"target", target},         {"messages", messages},
          {"turns", turns}, {"created_at", created_at}, {"updated_at", updated_at}};
}

nlohmann::json SessionRepository::messages(const std::string& name) {
  auto query = database_.prepare(
      "SELECT m.message FROM messages m JOIN sessions s ON s.id = m.session_id "
      "WHERE s.name = ?1 ORDER BY m.id");
  query.bind(1, name);
  auto list = nlohmann::json::array();
  while (query.step()) list.push_back(nlohmann::json::parse(query.text(0)));
  return list;
}

void SessionRepository::append(const std::string& name, const std::string& target,
                               const nlohmann::json& new_messages) {
  validate_name(name, "session name");
  database_.transaction([&] { insert_messages(name, target, new_messages); });
}

void SessionRepository::replace(const std::string& name, const std::string& target,
                                const nlohmann::json& new_messages) {
  validate_name(name, "session name");
  database_.transaction([&] {
    remove(name);
    insert_messages(name, target, new_messages);
  });
}

void SessionRepository::insert_messages(const std::string& name, const std::string& target,
                                        const nlohmann::json& new_messages) {
  // Strictly after every other session's last use, so "the most recent"
  // (chat -c) is never a tie between two turns in the same millisecond.
  auto latest = database_.prepare("SELECT coalesce(max(updated_at), 0) FROM sessions");
  latest.step();
  int64_t now = std::max<int64_t>(now_milliseconds(), latest.integer(0) + 1);
  database_
      .prepare("INSERT INTO sessions(name, target, created_at, updated_at) VALUES(?1, ?2, ?3, ?3) "
               "ON CONFLICT(name) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at")
      .bind(1, name)
      .bind(2, target)
      .bind(3, now)
      .run();
  auto id_query = database_.prepare("SELECT id FROM sessions WHERE name = ?1");
  id_query.bind(1, name);
  id_query.step();
  auto session_id = id_query.integer(0);
  auto insert = database_.prepare("INSERT INTO messages(session_id, message, created_at) VALUES(?1, ?2, ?3)");
  for (const auto& message : new_messages) {
    insert.bind(1, session_id).bind(2, message.dump()).bind(3, now);
    insert.run();
    insert.reset();
  }
}

bool SessionRepository::remove(const std::string& name) {
  database_.prepare("DELETE FROM sessions WHERE name = ?1").bind(1, name).run();
  return database_.changes() > 0;
}

void SessionRepository::rename(const std::string& old_name, const std::string& new_name) {
  validate_name(new_name, "session name");
  database_.transaction([&] {
    resolve(old_name);
    if (old_name == new_name) return;
    if (find(new_name))
      throw Error(ErrorKind::usage, "a session named '" + new_name + "' exists already; `weir sessions delete " +
                                        new_name + "` first, or choose another name");
    database_.prepare("UPDATE sessions SET name = ?2 WHERE name = ?1").bind(1, old_name).bind(2, new_name).run();
  });
}

std::optional<SessionSummary> SessionRepository::find(const std::string& name) {
  auto query = database_.prepare(std::string(kSummaryColumns) + "WHERE s.name = ?1");
  query.bind(1, name);
  if (!query.step()) return std::nullopt;
  return read_summary(query);
}

SessionSummary SessionRepository::resolve(const std::string& name) {
  if (auto found = find(name)) return *found;
  std::string message = "no session '" + name + "'";
  auto sessions = list();
  if (sessions.empty()) {
    message += "; none is saved yet (`weir chat GATEWAY --session NAME \"...\"` keeps one)";
  } else {
    std::stable_sort(sessions.begin(), sessions.end(), [&](const auto& left, const auto& right) {
      return edit_distance(left.name, name) < edit_distance(right.name, name);
    });
    message += "; did you mean: ";
    for (size_t index = 0; index < std::min<size_t>(3, sessions.size()); ++index)
      message += (index ? ", " : "") + sessions[index].name;
    message += "? (`weir sessions list` shows all)";
  }
  throw Error(ErrorKind::not_found, message);
}

std::optional<SessionSummary> SessionRepository::most_recent() {
  auto query = database_.prepare(std::string(kSummaryColumns) + "ORDER BY s.updated_at DESC, s.id DESC LIMIT 1");
  if (!query.step()) return std::nullopt;
  return read_summary(query);
}

std::vector<SessionSummary> SessionRepository::list() {
  std::vector<SessionSummary> sessions;
  auto query = database_.prepare(std::string(kSummaryColumns) + "ORDER BY s.updated_at DESC, s.id DESC");
  while (query.step()) sessions.push_back(read_summary(query));
  return sessions;
}

}  // namespace weir
