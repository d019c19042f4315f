// SkillRepository — the skills table: reusable instruction bundles a gateway
// offers its model through the read_skill tool (core/tools/skill_source.hpp).
//
// A skill is a slug (1–64 of [A-Za-z0-9_.-]), a one-line description the
// gateway's instructions list, the instructions the model reads on demand,
// and the server-side tools it allows (for hide_tools_unless_skill). Skills
// belong to the home, not to a gateway: several gateways may list one.
//
// Contract: every write validates the skill first (Error(usage) naming the
// field and what is allowed); create() of an existing slug is Error(usage),
// update()/get() of a missing one Error(not_found). import_skills() reads
// JSONL (one skill object a line, the shape to_json() writes), reports bad
// lines by number and lands the rest, or with `strict` nothing at all.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct Skill {
  std::string slug;
  std::string description;
  std::string instructions;
  std::vector<std::string> allowed_tools;
  int64_t created_at = 0;  // milliseconds since the epoch; set by the store
  int64_t updated_at = 0;
  // {slug, description, instructions, allowed_tools}: what export writes and
  // import reads (timestamps are the store's, not the file's).
  nlohmann::json to_json() const;
};

// Throws Error(usage) saying what is wrong with the slug.
void check_skill_slug(std::string_view slug);
// Throws Error(usage) naming the first bad field (slug, empty description or
// instructions, sizes, tool names).
void check_skill(const Skill& skill);
// One JSON object as a skill, or the reason it is refused ("" when accepted);
// never throws for bad input.
std::string parse_skill_json(const nlohmann::json& object, Skill& skill);

struct SkillImportReport {
  int64_t created = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  int64_t rejected = 0;
  struct LineError {
    int64_t line;
    std::string reason;
  };
  std::vector<LineError> errors;  // the first 1000
  bool rolled_back = false;       // strict, with rejected lines
  nlohmann::json to_json() const;
};

class SkillRepository {
 public:
  explicit SkillRepository(Database& database) : database_(database) {}

  void create(const Skill& skill);
  void update(const Skill& skill);  // every field but the slug replaced
  bool remove(const std::string& slug);
  std::optional<Skill> find(const std::string& slug);
  Skill get(const std::string& slug);
  std::vector<Skill> list();  // by slug
  SkillImportReport import_skills(std::istream& input, bool strict);

 private:
  Database& database_;
};

}  // namespace weir
