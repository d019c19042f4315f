// Skills — the gateway's skills as a server-side tool, read_skill.
//
// A gateway's `skills` (slugs of the skills table, skill_repository.hpp) are
// listed by slug and description in its system instructions (listing()); the
// model loads the ones it needs with read_skill({slugs: [...]}), whose result
// is their instructions. From the next model turn on, each skill read joins
// the system message in its own delimited block (prepare_turn(), called by
// the tool loop), once per request however often it is read. With
// `hide_tools_unless_skill`, every other server-side tool is hidden (hides())
// until a skill read lists it in its allowed tools, except read_skill and the
// gateway's `always_visible_tools`.
//
// Skills read on earlier requests of the same conversation (`already_read`,
// conversation_skills.hpp) count as read from the start: their blocks join the
// system message the first turn sends (prepare_turn() before it), and their
// allowed tools are visible. `on_read` hears the slugs of each read_skill call,
// so the stage can remember them for the conversation.
//
// read_skill of a slug the gateway does not list is Error(usage) naming it
// and the ones it lists, fed back to the model. The source never reads the
// store: the stage loads the skills (load_gateway_skills) before the request.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/gateway/gateway_config.hpp"
#include "core/store/skill_repository.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

class Database;

constexpr const char* kReadSkillTool = "read_skill";

struct SkillSettings {
  std::vector<std::string> skills;  // slugs
  bool hide_tools_unless_skill = false;
  std::vector<std::string> always_visible_tools;
  static SkillSettings from_config(const GatewayConfig& config);
};

// The gateway's skills from the store, in its order; Error(not_found) naming
// a slug that no longer exists (gateway_references.hpp's check_skills_exist).
std::vector<Skill> load_gateway_skills(Database& database, const SkillSettings& settings,
                                       const std::string& gateway_name);

// The system message's block for one skill read (what prepare_turn appends).
std::string skill_block(const Skill& skill);

class SkillSource final : public ToolSource {
 public:
  using ReadCallback = std::function<void(const std::vector<std::string>& slugs)>;
  // Slugs in `already_read` the gateway no longer lists are ignored.
  SkillSource(SkillSettings settings, std::vector<Skill> skills, const std::vector<std::string>& already_read = {},
              ReadCallback on_read = nullptr);

  // The paragraph the gateway's instructions gain: each skill by slug and
  // description, and how to read them.
  std::string listing() const;

  std::string owner() const override { return "the gateway's skills"; }
  nlohmann::json definitions() const override;
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;
  void prepare_turn(nlohmann::json& messages) override;
  bool hides(const std::string& tool_name) const override;

  // Slugs read so far, in the order first read.
  const std::vector<std::string>& read_slugs() const { return read_; }

 private:
  const Skill* find(const std::string& slug) const;
  void mark_read(const Skill& skill);

  SkillSettings settings_;
  std::vector<Skill> skills_;
  std::vector<std::string> read_;     // every skill read, first read first
  size_t in_system_message_ = 0;      // read_[0..n) are in the system message already
  std::set<std::string> allowed_tools_;  // allowed by a skill read
  ReadCallback on_read_;
};

}  // namespace weir
