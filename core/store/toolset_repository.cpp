#include "core/store/toolset_repository.hpp"

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"
#include "core/store/toolset_revision_repository.hpp"

namespace weir {

namespace {

constexpr const char* kColumns = "id, name, created_at, updated_at";

Toolset read_toolset(Statement& row) { return {row.text(0), row.text(1), row.integer(2), row.integer(3)}; }

}  // namespace

void ToolsetRepository::check_new_name(const std::string& name) {
  validate_name(name, "tool set name");
  if (find(name))
    throw Error(ErrorKind::usage, "a tool set named '" + name + "' exists; pick another name, or change it with "
                                  "`weir toolset update " + name + "`");
}

Toolset ToolsetRepository::create(const std::string& name, const nlohmann::json& config, const nlohmann::json& tools) {
  Toolset toolset{new_uuid_v7(), name, now_milliseconds(), 0};
  toolset.updated_at = toolset.created_at;
  database_.transaction([&] {
    check_new_name(name);
    database_.prepare("INSERT INTO toolsets (" + std::string(kColumns) + ") VALUES (?1, ?2, ?3, ?4)")
        .bind(1, toolset.id)
        .bind(2, toolset.name)
        .bind(3, toolset.created_at)
        .bind(4, toolset.updated_at)
        .run();
    ToolsetRevisionRepository(database_).record(toolset.id, config, tools, "create", toolset.created_at);
  });
  return toolset;
}

std::optional<Toolset> ToolsetRepository::find(const std::string& name) {
  auto query = database_.prepare("SELECT " + std::string(kColumns) + " FROM toolsets WHERE name = ?1");
  query.bind(1, name);
  if (!query.step()) return std::nullopt;
  return read_toolset(query);
}

Toolset ToolsetRepository::get(const std::string& name) {
  if (auto toolset = find(name)) return *toolset;
  std::vector<std::string> names;
  for (const auto& toolset : list()) names.push_back(toolset.name);
  std::string message = "no tool set '" + name + "'";
  if (names.empty()) {
    message += "; none exists yet. Create one with `weir toolset create NAME --openapi FILE|URL` or "
               "`--mcp-server NAME=COMMAND|URL`";
  } else {
    auto close = closest_names(name, names);
    std::string hint;
    for (const auto& candidate : close) hint += (hint.empty() ? "" : ", ") + candidate;
    if (!hint.empty()) message += "; did you mean: " + hint + "?";
    message += " (`weir toolset list` shows all)";
  }
  throw Error(ErrorKind::not_found, message);
}

std::vector<Toolset> ToolsetRepository::list() {
  auto query = database_.prepare("SELECT " + std::string(kColumns) + " FROM toolsets ORDER BY name");
  std::vector<Toolset> toolsets;
  while (query.step()) toolsets.push_back(read_toolset(query));
  return toolsets;
}

int64_t ToolsetRepository::add_revision(Toolset& toolset, const nlohmann::json& config, const nlohmann::json& tools,
                                        std::string_view action) {
  int64_t revision = 0;
  auto now = now_milliseconds();
  database_.transaction([&] {
    database_.prepare("UPDATE toolsets SET updated_at = ?2 WHERE id = ?1").bind(1, toolset.id).bind(2, now).run();
    if (database_.changes() == 0)
      throw Error(ErrorKind::not_found, "the tool set " + toolset.name + " was deleted meanwhile; nothing was saved");
    revision = ToolsetRevisionRepository(database_).record(toolset.id, config, tools, action, now);
  });
  toolset.updated_at = now;
  return revision;
}

void ToolsetRepository::remove(const std::string& name) {
  auto erase = database_.prepare("DELETE FROM toolsets WHERE name = ?1");
  erase.bind(1, name);
  erase.run();
  if (database_.changes() == 0) get(name);  // throws not_found with the closest names
}

}  // namespace weir
