// Moderation — a gateway's `moderation` block: the conversation is scored on
// five categories before anything of it goes upstream, and one scored above
// its threshold is not forwarded (DESIGN.md "The engine pipeline", step 5).
//
// Categories (moderation_categories(), with their default thresholds):
//   violence_hate 0.7, sexual 0.7, political 1.0 (never: opt in by lowering
//   it), dangerous 0.7, jailbreak 0.8. "Above" is strictly greater.
// Scores come from a judge model (core/engine/moderation_check.hpp asks it
// for JSON and reads it with the structured-output machinery) or from a
// provider's moderation endpoint: OpenAI's `results[0].category_scores`,
// mapped by scores_from_openai() (each weir category takes the highest of its
// OpenAI categories; political and jailbreak have none there and score 0).
// A flagged conversation is replaced by decline_conversation(): the model is
// told to decline politely and never sees the flagged content.
// Pure functions and plain data; no exceptions but Error(upstream) from
// scores_from_openai() for an answer without scores.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

using json = nlohmann::json;

enum class ModerationMode { judge, endpoint };

struct ModerationCategory {
  std::string_view name;
  double default_threshold;
  std::string_view description;              // what the judge is told it covers
  std::vector<std::string_view> openai;      // OpenAI moderation categories it takes
};

const std::vector<ModerationCategory>& moderation_categories();
const ModerationCategory* find_moderation_category(std::string_view name);
const std::vector<std::string_view>& moderation_mode_names();

using ModerationScores = std::map<std::string, double>;

struct ModerationSettings {
  std::string provider;
  std::string model;
  ModerationMode mode = ModerationMode::judge;
  std::map<std::string, double> thresholds;  // every category, defaults filled

  // `block`: the gateway's effective `moderation` (null: off), schema-checked.
  static std::optional<ModerationSettings> from_config(const json& block);
};

// Categories whose score is above their threshold, in table order.
std::vector<std::string> flagged_categories(const ModerationScores& scores, const ModerationSettings& settings);

// OpenAI's /moderations answer mapped to weir's categories.
ModerationScores scores_from_openai(const json& answer, const std::string& provider);

// The caller's messages as the text a judge or endpoint reads ("user: ...",
// one message a paragraph; the text parts of content-part messages).
std::string moderation_transcript(const json& messages);

// What goes upstream instead of a flagged conversation.
json decline_conversation(const std::vector<std::string>& flagged);
// What the caller's conversation becomes for the later stages (retrieval,
// routing): the flagged content is gone from all of them.
json withheld_conversation();

}  // namespace weir
