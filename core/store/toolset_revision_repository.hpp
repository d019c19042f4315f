// ToolsetRevisionRepository — the numbered history of each tool set
// (`toolset_revisions`, migration 18).
//
// A revision (1, 2, 3... per tool set) keeps the tool set's sources as they
// were stored (`config`) and the tools they offered when it was made
// (`tools`, offered_tools.hpp records), with what made it (create | update |
// refresh) and when. ToolsetRepository calls record() inside the transaction
// that saves the tool set, so a revision exists exactly when its change was
// committed. Revisions are kept as stored, unvalidated: one that a later
// weir would refuse can still be listed and compared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;
struct Toolset;

struct ToolsetRevision {
  int64_t revision = 0;
  nlohmann::json config;
  nlohmann::json tools;
  std::string action;
  int64_t created_at = 0;
};

class ToolsetRevisionRepository {
 public:
  explicit ToolsetRevisionRepository(Database& database) : database_(database) {}

  // Appends the next revision; returns its number. Inside the caller's transaction.
  int64_t record(const std::string& toolset_id, const nlohmann::json& config, const nlohmann::json& tools,
                 std::string_view action, int64_t created_at);
  // Oldest first.
  std::vector<ToolsetRevision> list(const std::string& toolset_id);
  // The newest; Error(not_found) if the tool set has none (it always has one).
  ToolsetRevision latest(const Toolset& toolset);
  // Error(not_found) naming the revisions that exist when there is no such one.
  ToolsetRevision get(const Toolset& toolset, int64_t revision);

 private:
  Database& database_;
};

}  // namespace weir
