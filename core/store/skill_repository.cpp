#include "core/store/skill_repository.hpp"

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/json_input.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {

constexpr size_t kLongestSlug = 64;
constexpr size_t kLongestDescription = 1024;
constexpr size_t kLongestInstructions = 256 * 1024;
constexpr size_t kMostAllowedTools = 128;
constexpr size_t kMostReportedErrors = 1000;

bool is_slug_character(char character) {
  return (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z') ||
         (character >= '0' && character <= '9') || character == '_' || character == '.' || character == '-';
}

Skill read_row(Statement& query) {
  Skill skill;
  skill.slug = query.text(0);
  skill.description = query.text(1);
  skill.instructions = query.text(2);
  // Written by this repository from a checked list; a damaged value reads as none.
  auto tools = read_json(query.text(3));
  if (tools.ok() && tools.value.is_array())
    for (const auto& tool : tools.value)
      if (tool.is_string()) skill.allowed_tools.push_back(tool.get<std::string>());
  skill.created_at = query.integer(4);
  skill.updated_at = query.integer(5);
  return skill;
}

constexpr const char* kColumns = "slug, description, instructions, allowed_tools, created_at, updated_at";

}  // namespace

nlohmann::json Skill::to_json() const {
  return {{"slug", slug}, {"description", description}, {"instructions", instructions}, {"allowed_tools", allowed_tools}};
}

void check_skill_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > kLongestSlug)
    throw Error(ErrorKind::usage, "a skill slug must be 1 to 64 characters, got " + std::to_string(slug.size()) +
                                      "; use letters, digits, '_', '.' and '-'");
  for (char character : slug)
    if (!is_slug_character(character))
      throw Error(ErrorKind::usage, "the skill slug '" + std::string(slug) + "' contains '" +
                                        std::string(1, character) + "'; use only letters, digits, '_', '.' and '-'");
}

void check_skill(const Skill& skill) {
  check_skill_slug(skill.slug);
  const std::string name = "skill '" + skill.slug + "'";
  if (skill.description.empty())
    throw Error(ErrorKind::usage, name + " needs a description (--description): the model picks skills by it");
  if (skill.description.size() > kLongestDescription)
    throw Error(ErrorKind::usage, name + ": the description is longer than 1024 bytes; keep it to a line");
  if (skill.instructions.empty())
    throw Error(ErrorKind::usage, name + " needs instructions (--instructions TEXT or --instructions-file F)");
  if (skill.instructions.size() > kLongestInstructions)
    throw Error(ErrorKind::usage, name + ": the instructions are longer than 256 KB; split them into several skills");
  if (skill.allowed_tools.size() > kMostAllowedTools)
    throw Error(ErrorKind::usage, name + " allows more than 128 tools");
  for (const auto& tool : skill.allowed_tools)
    if (tool.empty() || tool.size() > 128)
      throw Error(ErrorKind::usage, name + ": an allowed tool name must be 1 to 128 characters");
}

std::string parse_skill_json(const nlohmann::json& object, Skill& skill) {
  if (!object.is_object()) return "not a JSON object; give {\"slug\", \"description\", \"instructions\", \"allowed_tools\"?}";
  for (const auto& [key, value] : object.items())
    if (key != "slug" && key != "description" && key != "instructions" && key != "allowed_tools")
      return "unknown key '" + key + "'; known keys: slug, description, instructions, allowed_tools";
  skill = Skill{};
  for (const char* key : {"slug", "description", "instructions"}) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return std::string("\"") + key + "\" must be a string";
  }
  skill.slug = object["slug"].get<std::string>();
  skill.description = object["description"].get<std::string>();
  skill.instructions = object["instructions"].get<std::string>();
  if (auto tools = object.find("allowed_tools"); tools != object.end() && !tools->is_null()) {
    if (!tools->is_array()) return "\"allowed_tools\" must be an array of tool names";
    for (const auto& tool : *tools) {
      if (!tool.is_string()) return "\"allowed_tools\" must be an array of tool names";
      skill.allowed_tools.push_back(tool.get<std::string>());
    }
  }
  try {
    check_skill(skill);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

nlohmann::json SkillImportReport::to_json() const {
  auto list = nlohmann::json::array();
  for (const auto& error : errors) list.push_back({{"line", error.line}, {"reason", error.reason}});
  return {{"created", created}, {"updated", updated},   {"unchanged", unchanged},
          {"rejected", rejected}, {"errors", list}, {"rolled_back", rolled_back}};
}

void SkillRepository::create(const Skill& skill) {
  check_skill(skill);
  if (find(skill.slug))
    throw Error(ErrorKind::usage, "a skill named '" + skill.slug + "' already exists; change it with `weir skill update " +
                                      skill.slug + "` or pick another slug");
  auto now = now_milliseconds();
  database_
      .prepare("INSERT INTO skills(slug, description, instructions, allowed_tools, created_at, updated_at) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?5)")
      .bind(1, skill.slug)
      .bind(2, skill.description)
      .bind(3, skill.instructions)
      .bind(4, nlohmann::json(skill.allowed_tools).dump())
      .bind(5, now)
      .run();
}

void SkillRepository::update(const Skill& skill) {
  check_skill(skill);
  database_
      .prepare("UPDATE skills SET description = ?2, instructions = ?3, allowed_tools = ?4, updated_at = ?5 "
               "WHERE slug = ?1")
      .bind(1, skill.slug)
      .bind(2, skill.description)
      .bind(3, skill.instructions)
      .bind(4, nlohmann::json(skill.allowed_tools).dump())
      .bind(5, now_milliseconds())
      .run();
  if (database_.changes() == 0)
    throw Error(ErrorKind::not_found, "no skill named '" + skill.slug + "'; see `weir skill list`");
}

bool SkillRepository::remove(const std::string& slug) {
  database_.prepare("DELETE FROM skills WHERE slug = ?1").bind(1, slug).run();
  return database_.changes() > 0;
}

std::optional<Skill> SkillRepository::find(const std::string& slug) {
  auto query = database_.prepare(std::string("SELECT ") + kColumns + " FROM skills WHERE slug = ?1");
  query.bind(1, slug);
  if (!query.step()) return std::nullopt;
  return read_row(query);
}

Skill SkillRepository::get(const std::string& slug) {
  auto skill = find(slug);
  if (!skill) throw Error(ErrorKind::not_found, "no skill named '" + slug + "'; see `weir skill list`");
  return *skill;
}

std::vector<Skill> SkillRepository::list() {
  std::vector<Skill> skills;
  auto query = database_.prepare(std::string("SELECT ") + kColumns + " FROM skills ORDER BY slug");
  while (query.step()) skills.push_back(read_row(query));
  return skills;
}

SkillImportReport SkillRepository::import_skills(std::istream& input, bool strict) {
  SkillImportReport report;
  auto reject = [&](int64_t line, std::string reason) {
    ++report.rejected;
    if (report.errors.size() < kMostReportedErrors) report.errors.push_back({line, std::move(reason)});
  };
  database_.execute("BEGIN IMMEDIATE");
  try {
    std::string line;
    int64_t line_number = 0;
    while (std::getline(input, line)) {
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      auto parsed = read_json(line);
      if (!parsed.ok()) {
        reject(line_number, "not acceptable JSON: " + parsed.problem->description);
        continue;
      }
      Skill skill;
      if (auto problem = parse_skill_json(parsed.value, skill); !problem.empty()) {
        reject(line_number, problem);
        continue;
      }
      if (strict && report.rejected > 0) continue;  // all of it rolls back: validate only
      auto existing = find(skill.slug);
      if (!existing) {
        create(skill);
        ++report.created;
      } else if (existing->description == skill.description && existing->instructions == skill.instructions &&
                 existing->allowed_tools == skill.allowed_tools) {
        ++report.unchanged;
      } else {
        update(skill);
        ++report.updated;
      }
    }
  } catch (...) {
    database_.execute("ROLLBACK");
    throw;
  }
  if (strict && report.rejected > 0) {
    database_.execute("ROLLBACK");
    report.rolled_back = true;
    report.created = report.updated = report.unchanged = 0;
  } else {
    database_.execute("COMMIT");
  }
  return report;
}

}  // namespace weir
