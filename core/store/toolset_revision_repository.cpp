#include "core/store/toolset_revision_repository.hpp"

#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/store/toolset_repository.hpp"

namespace weir {

namespace {

constexpr const char* kColumns = "revision, config, tools, action, created_at";

ToolsetRevision read_revision(Statement& row) {
  return {row.integer(0), nlohmann::json::parse(row.text(1), nullptr, false),
          nlohmann::json::parse(row.text(2), nullptr, false), row.text(3), row.integer(4)};
}

}  // namespace

int64_t ToolsetRevisionRepository::record(const std::string& toolset_id, const nlohmann::json& config,
                                          const nlohmann::json& tools, std::string_view action, int64_t created_at) {
  auto next = database_.prepare("SELECT COALESCE(MAX(revision), 0) + 1 FROM toolset_revisions WHERE toolset_id = ?1");
  next.bind(1, toolset_id);
  next.step();
  int64_t revision = next.integer(0);
  database_
      .prepare(
          "INSERT INTO toolset_revisions(toolset_id, revision, config, tools, action, created_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, toolset_id)
      .bind(2, revision)
      .bind(3, config.dump())
      .bind(4, tools.dump())
      .bind(5, action)
      .bind(6, created_at)
      .run();
  return revision;
}

std::vector<ToolsetRevision> ToolsetRevisionRepository::list(const std::string& toolset_id) {
  std::vector<ToolsetRevision> revisions;
  auto query = database_.prepare("SELECT " + std::string(kColumns) +
                                 " FROM toolset_revisions WHERE toolset_id = ?1 ORDER BY revision");
  query.bind(1, toolset_id);
  while (query.step()) revisions.push_back(read_revision(query));
  return revisions;
}

ToolsetRevision ToolsetRevisionRepository::latest(const Toolset& toolset) {
  auto query = database_.prepare("SELECT " + std::string(kColumns) +
                                 " FROM toolset_revisions WHERE toolset_id = ?1 ORDER BY revision DESC LIMIT 1");
  query.bind(1, toolset.id);
  if (!query.step()) throw Error(ErrorKind::not_found, "tool set " + toolset.name + " has no revisions");
  return read_revision(query);
}

ToolsetRevision ToolsetRevisionRepository::get(const Toolset& toolset, int64_t revision) {
  auto query = database_.prepare("SELECT " + std::string(kColumns) +
                                 " FROM toolset_revisions WHERE toolset_id = ?1 AND revision = ?2");
  query.bind(1, toolset.id).bind(2, revision);
  if (query.step()) return read_revision(query);
  auto newest = latest(toolset).revision;
  std::string message = "tool set " + toolset.name + " has no revision " + std::to_string(revision);
  message += newest == 1 ? "; it has only revision 1" : "; it has revisions 1 to " + std::to_string(newest);
  throw Error(ErrorKind::not_found, message + " (see `weir toolset history " + toolset.name + "`)");
}

}  // namespace weir
