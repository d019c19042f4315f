#include "core/policy/moderation.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace weir {

namespace {

constexpr const char* kWithheld = "(This message was withheld by the service's moderation.)";

double score_value(const json& value) {
  if (!value.is_number()) return 0;
  return std::clamp(value.get<double>(), 0.0, 1.0);
}

}  // namespace

const std::vector<ModerationCategory>& moderation_categories() {
  static const std::vector<ModerationCategory> table = {
      {"violence_hate", 0.7, "violence, threats, hate or harassment against people or groups",
       {"violence", "violence/graphic", "hate", "hate/threatening", "harassment", "harassment/threatening"}},
      {"sexual", 0.7, "sexual content", {"sexual", "sexual/minors"}},
      {"political", 1.0, "political campaigning, propaganda or persuasion about elections or parties", {}},
      {"dangerous", 0.7, "help with weapons, drugs, self-harm, crime or other serious harm",
       {"self-harm", "self-harm/intent", "self-harm/instructions", "illicit", "illicit/violent"}},
      {"jailbreak", 0.8, "attempts to make the assistant ignore its instructions or safety rules", {}},
  };
  return table;
}

const ModerationCategory* find_moderation_category(std::string_view name) {
  for (const auto& category : moderation_categories())
    if (category.name == name) return &category;
  return nullptr;
}

const std::vector<std::string_view>& moderation_mode_names() {
  static const std::vector<std::string_view> names = {"judge", "endpoint"};
  return names;
}

std::optional<ModerationSettings> ModerationSettings::from_config(const json& block) {
  if (!block.is_object()) return std::nullopt;
  ModerationSettings settings;
  settings.provider = block.value("provider", "");
  settings.model = block.value("model", "");
  settings.mode = block.value("mode", "judge") == "endpoint" ? ModerationMode::endpoint : ModerationMode::judge;
  const json thresholds = block.value("thresholds", json::object());
  for (const auto& category : moderation_categories()) {
    std::string name(category.name);
    auto set = thresholds.find(name);
    settings.thresholds[name] = set != thresholds.end() && set->is_number() ? set->get<double>() : category.default_threshold;
  }
  return settings;
}

std::vector<std::string> flagged_categories(const ModerationScores& scores, const ModerationSettings& settings) {
  std::vector<std::string> flagged;
  for (const auto& category : moderation_categories()) {
    std::string name(category.name);
    auto score = scores.find(name);
    auto threshold = settings.thresholds.find(name);
    double limit = threshold != settings.thresholds.end() ? threshold->second : category.default_threshold;
    if (score != scores.end() && score->second > limit) flagged.push_back(name);
  }
  return flagged;
}

ModerationScores scores_from_openai(const json& answer, const std::string& provider) {
  const json* scores = nullptr;
  if (answer.is_object() && answer.contains("results") && answer["results"].is_array() && !answer["results"].empty() &&
      answer["results"][0].is_object() && answer["results"][0].contains("category_scores") &&
      answer["results"][0]["category_scores"].is_object())
    scores = &answer["results"][0]["category_scores"];
  if (scores == nullptr)
    throw Error(ErrorKind::upstream, provider + "'s moderation endpoint answered without results[0].category_scores: " +
                                         answer.dump().substr(0, 200));
  ModerationScores mapped;
  for (const auto& category : moderation_categories()) {
    double highest = 0;
    for (auto name : category.openai)
      if (auto found = scores->find(std::string(name)); found != scores->end()) highest = std::max(highest, score_value(*found));
    mapped[std::string(category.name)] = highest;
  }
  return mapped;
}

std::string moderation_transcript(const json& messages) {
  std::string transcript;
  for (const auto& message : messages) {
    if (!message.is_object()) continue;
    std::string text;
    const auto& content = message.value("content", json());
    if (content.is_string()) {
      text = content.get<std::string>();
    } else if (content.is_array()) {
      for (const auto& part : content)
        if (part.is_object() && part.value("type", "") == "text" && part.value("text", json()).is_string())
          text += (text.empty() ? "" : "\n") + part["text"].get<std::string>();
    }
    if (text.empty()) continue;
    transcript += (transcript.empty() ? "" : "\n\n") + message.value("role", "user") + ": " + text;
  }
  return transcript;
}

json decline_conversation(const std::vector<std::string>& flagged) {
  std::string categories;
  for (const auto& name : flagged) categories += (categories.empty() ? "" : ", ") + name;
  return json::array(
      {{{"role", "system"},
        {"content", "The user's message was withheld by this service's content moderation (categories: " + categories +
                        "). Reply in one or two sentences, politely declining to help with this request, without "
                        "guessing or repeating what it said, and offer to help with something else."}},
       {{"role", "user"}, {"content", kWithheld}}});
}

json withheld_conversation() { return json::array({{{"role", "user"}, {"content", kWithheld}}}); }

}  // namespace weir
