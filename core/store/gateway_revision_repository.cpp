#include "core/store/gateway_revision_repository.hpp"

#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir {

int64_t GatewayRevisionRepository::record(const Gateway& gateway, std::string_view action, int64_t created_at) {
  auto next = database_.prepare("SELECT COALESCE(MAX(revision), 0) + 1 FROM gateway_revisions WHERE gateway_id = ?1");
  next.bind(1, gateway.id);
  next.step();
  int64_t revision = next.integer(0);
  database_
      .prepare(
          "INSERT INTO gateway_revisions(gateway_id, revision, name, config, action, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, gateway.id)
      .bind(2, revision)
      .bind(3, gateway.name)
      .bind(4, gateway.config.fields().dump())
      .bind(5, action)
      .bind(6, created_at)
      .run();
  return revision;
}

std::vector<GatewayRevision> GatewayRevisionRepository::list(const std::string& gateway_id) {
  std::vector<GatewayRevision> revisions;
  auto query = database_.prepare(
      "SELECT revision, name, config, action, created_at FROM gateway_revisions WHERE gateway_id = ?1 "
      "ORDER BY revision");
  query.bind(1, gateway_id);
  while (query.step())
    revisions.push_back(
        {query.integer(0), query.text(1), nlohmann::json::parse(query.text(2)), query.text(3), query.integer(4)});
  return revisions;
}

GatewayRevision GatewayRevisionRepository::get(const Gateway& gateway, int64_t revision) {
  auto revisions = list(gateway.id);
  for (auto& found : revisions)
    if (found.revision == revision) return found;
  std::string message = "gateway " + gateway.name + " has no revision " + std::to_string(revision);
  if (revisions.empty())
    message += "; it has no revisions yet";
  else if (revisions.size() == 1)
    message += "; it has only revision 1";
  else
    message += "; it has revisions 1 to " + std::to_string(revisions.back().revision);
  throw Error(ErrorKind::not_found, message + " (see `weir gateway history " + gateway.name + "`)");
}

}  // namespace weir
