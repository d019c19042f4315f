#include "core/tools/skill_source.hpp"

#include <algorithm>

#include "core/engine/document_injection.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/store/gateway_references.hpp"

namespace weir {

namespace {

std::vector<std::string> text_list(const GatewayConfig& config, std::string_view path) {
  auto value = config.effective_value(path);
  std::vector<std::string> list;
  if (value.is_array())
    for (const auto& item : value)
      if (item.is_string()) list.push_back(item.get<std::string>());
  return list;
}

std::string slug_list(const std::vector<Skill>& skills) {
  std::string text;
  for (const auto& skill : skills) text += (text.empty() ? "" : ", ") + skill.slug;
  return text;
}

}  // namespace

SkillSettings SkillSettings::from_config(const GatewayConfig& config) {
  SkillSettings settings;
  settings.skills = text_list(config, "skills");
  auto hide = config.effective_value("hide_tools_unless_skill");
  settings.hide_tools_unless_skill = hide.is_boolean() && hide.get<bool>();
  settings.always_visible_tools = text_list(config, "always_visible_tools");
  return settings;
}

std::vector<Skill> load_gateway_skills(Database& database, const SkillSettings& settings,
                                       const std::string& gateway_name) {
  check_skills_exist(database, settings.skills, "gateway '" + gateway_name + "'");
  SkillRepository repository(database);
  std::vector<Skill> skills;
  for (const auto& slug : settings.skills) skills.push_back(repository.get(slug));
  return skills;
}

std::string skill_block(const Skill& skill) {
  return "<skill slug=\"" + skill.slug + "\">\n" + skill.instructions + "\n</skill>";
}

SkillSource::SkillSource(SkillSettings settings, std::vector<Skill> skills, const std::vector<std::string>& already_read,
                         ReadCallback on_read)
    : settings_(std::move(settings)), skills_(std::move(skills)), on_read_(std::move(on_read)) {
  for (const auto& slug : already_read)
    if (const Skill* skill = find(slug)) mark_read(*skill);
}

void SkillSource::mark_read(const Skill& skill) {
  if (std::find(read_.begin(), read_.end(), skill.slug) == read_.end()) read_.push_back(skill.slug);
  allowed_tools_.insert(skill.allowed_tools.begin(), skill.allowed_tools.end());
}

const Skill* SkillSource::find(const std::string& slug) const {
  for (const auto& skill : skills_)
    if (skill.slug == slug) return &skill;
  return nullptr;
}

std::string SkillSource::listing() const {
  std::string text =
      "Skills you can load: call read_skill with the slugs of those that fit the task before you start it; their "
      "instructions then apply to the rest of the conversation.";
  for (const auto& skill : skills_) text += "\n- " + skill.slug + ": " + skill.description;
  return text;
}

nlohmann::json SkillSource::definitions() const {
  auto slugs = nlohmann::json::array();
  for (const auto& skill : skills_) slugs.push_back(skill.slug);
  return nlohmann::json::array(
      {{{"type", "function"},
        {"function",
         {{"name", kReadSkillTool},
          {"description",
           "Load the instructions of one or more skills listed in your instructions. Call it before a task a skill "
           "covers; the instructions are returned and also apply from your next turn on."},
          {"parameters",
           {{"type", "object"},
            {"properties",
             {{"slugs",
               {{"type", "array"},
                {"items", {{"type", "string"}, {"enum", slugs}}},
                {"minItems", 1},
                {"description", "Slugs of the skills to load"}}}}},
            {"required", {"slugs"}}}}}}}});
}

ToolOutput SkillSource::run(const ToolCall& call, const ToolCallContext& context) {
  if (context.cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
  const std::string advice = "; send {\"slugs\": [\"SLUG\", ...]} with slugs from: " + slug_list(skills_);
  auto read = read_json(call.arguments.empty() ? "{}" : call.arguments);
  if (!read.ok())
    throw Error(ErrorKind::usage, "the arguments of read_skill are not acceptable JSON: " + read.problem->description + advice);
  const auto& arguments = read.value;
  auto slugs = arguments.is_object() ? arguments.find("slugs") : arguments.end();
  if (!arguments.is_object() || slugs == arguments.end() || !slugs->is_array() || slugs->empty())
    throw Error(ErrorKind::usage, "read_skill needs a non-empty array \"slugs\"" + advice);
  if (slugs->size() > skills_.size() + 8) throw Error(ErrorKind::usage, "read_skill was given too many slugs" + advice);
  std::vector<const Skill*> wanted;
  for (const auto& slug : *slugs) {
    if (!slug.is_string()) throw Error(ErrorKind::usage, "read_skill's slugs must be strings" + advice);
    const Skill* skill = find(slug.get<std::string>());
    if (!skill)
      throw Error(ErrorKind::usage, "this gateway has no skill '" + slug.get<std::string>() + "'" + advice);
    if (std::find(wanted.begin(), wanted.end(), skill) == wanted.end()) wanted.push_back(skill);
  }
  std::string output;
  std::vector<std::string> slugs_read;
  for (const Skill* skill : wanted) {
    mark_read(*skill);
    slugs_read.push_back(skill->slug);
    if (!output.empty()) output += "\n\n";
    output += skill_block(*skill);
  }
  if (on_read_) on_read_(slugs_read);
  return output;
}

void SkillSource::prepare_turn(nlohmann::json& messages) {
  for (; in_system_message_ < read_.size(); ++in_system_message_)
    append_to_system(messages, skill_block(*find(read_[in_system_message_])));
}

bool SkillSource::hides(const std::string& tool_name) const {
  if (!settings_.hide_tools_unless_skill || tool_name == kReadSkillTool) return false;
  const auto& always = settings_.always_visible_tools;
  if (std::find(always.begin(), always.end(), tool_name) != always.end()) return false;
  return allowed_tools_.count(tool_name) == 0;
}

}  // namespace weir
