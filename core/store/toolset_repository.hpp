// ToolsetRepository — the named tool sets of `weir toolset`, one row each
// in `toolsets` (migration 18). What a tool set holds lives in its
// revisions (toolset_revision_repository.hpp); this table names it.
//
// Names follow validate_name(). create() writes the tool set and its
// revision 1, add_revision() a revision and the new updated_at, each in one
// transaction (do not call them inside another). A taken name is
// Error(usage); an unknown one Error(not_found) with the closest names.
// remove() takes the revisions along (ON DELETE CASCADE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct Toolset {
  std::string id;  // UUIDv7
  std::string name;
  int64_t created_at = 0;  // milliseconds since the epoch
  int64_t updated_at = 0;
};

class ToolsetRepository {
 public:
  explicit ToolsetRepository(Database& database) : database_(database) {}

  // `config`: the sources; `tools`: what they offered (offered_tools.hpp).
  Toolset create(const std::string& name, const nlohmann::json& config, const nlohmann::json& tools);
  // Error(usage) when the name is invalid or taken, before anything is read or started.
  void check_new_name(const std::string& name);
  std::optional<Toolset> find(const std::string& name);
  Toolset get(const std::string& name);
  std::vector<Toolset> list();  // by name
  // The tool set's next revision; returns its number.
  int64_t add_revision(Toolset& toolset, const nlohmann::json& config, const nlohmann::json& tools,
                       std::string_view action);
  void remove(const std::string& name);

 private:
  Database& database_;
};

}  // namespace weir
