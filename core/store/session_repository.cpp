#include "core/store/session_repository.hpp"

#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

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
  auto now = now_milliseconds();
  database_.transaction([&] {
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
  });
}

bool SessionRepository::remove(const std::string& name) {
  database_.prepare("DELETE FROM sessions WHERE name = ?1").bind(1, name).run();
  return database_.changes() > 0;
}

std::vector<SessionSummary> SessionRepository::list() {
  std::vector<SessionSummary> sessions;
  auto query = database_.prepare(
      "SELECT s.name, s.target, (SELECT count(*) FROM messages m WHERE m.session_id = s.id), s.updated_at "
      "FROM sessions s ORDER BY s.updated_at DESC");
  while (query.step())
    sessions.push_back({query.text(0), query.text(1), query.integer(2), query.integer(3)});
  return sessions;
}

}  // namespace weir
