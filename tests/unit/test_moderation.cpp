// Moderation: the block's rules, thresholds and their defaults, OpenAI's
// moderation categories mapped to weir's, the transcript a judge reads, and
// the conversation a flagged request becomes.
#include <doctest/doctest.h>

#include <string>

#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/policy/moderation.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

GatewayConfig with_moderation(json block) {
  return GatewayConfig::from_json({{"provider", "p"}, {"model", "m"}, {"moderation", std::move(block)}});
}

}  // namespace

TEST_CASE("moderation block: thresholds default per category, are checked, and decide what is flagged") {
  auto config = with_moderation({{"provider", "p"}, {"model", "judge"}, {"thresholds", {{"political", 0.5}}}});
  auto settings = ModerationSettings::from_config(config.effective_value("moderation"));
  REQUIRE(settings);
  CHECK(settings->mode == ModerationMode::judge);
  CHECK(settings->thresholds.at("political") == 0.5);
  CHECK(settings->thresholds.at("violence_hate") == 0.7);
  CHECK(settings->thresholds.at("jailbreak") == 0.8);
  CHECK_FALSE(ModerationSettings::from_config(nullptr));

  ModerationScores scores = {{"violence_hate", 0.7}, {"sexual", 0.71}, {"political", 0.6}, {"dangerous", 0}, {"jailbreak", 1}};
  // Strictly above: 0.7 is not over violence_hate's 0.7.
  CHECK(flagged_categories(scores, *settings) == std::vector<std::string>{"sexual", "political", "jailbreak"});

  auto unknown = expect_error([] { with_moderation({{"provider", "p"}, {"model", "j"}, {"thresholds", {{"gore", 0.5}}}}); });
  CHECK(std::string(unknown.what()).find("unknown category 'gore'; use violence_hate, sexual") != std::string::npos);
  auto range = expect_error([] { with_moderation({{"provider", "p"}, {"model", "j"}, {"thresholds", {{"sexual", 2}}}}); });
  CHECK(std::string(range.what()).find("from 0 to 1") != std::string::npos);
  auto mode = expect_error([] { with_moderation({{"provider", "p"}, {"model", "j"}, {"mode", "vibes"}}); });
  CHECK(mode.kind() == ErrorKind::usage);
  auto no_model = expect_error([] { with_moderation({{"provider", "p"}}); });
  CHECK(no_model.kind() == ErrorKind::usage);
}

TEST_CASE("moderation: OpenAI's category scores map to weir's (the highest of each group); no scores is an error") {
  json answer = {{"results", json::array({{{"flagged", true},
                                           {"category_scores",
                                            {{"harassment", 0.2}, {"hate/threatening", 0.9}, {"sexual", 0.01},
                                             {"self-harm/instructions", 0.4}, {"illicit", 0.6}}}}})}};
  auto scores = scores_from_openai(answer, "openai");
  CHECK(scores.at("violence_hate") == 0.9);
  CHECK(scores.at("sexual") == 0.01);
  CHECK(scores.at("dangerous") == 0.6);
  CHECK(scores.at("political") == 0);
  CHECK(scores.at("jailbreak") == 0);
  auto error = expect_error([] { (void)scores_from_openai(json{{"id", "x"}}, "openai"); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(std::string(error.what()).find("category_scores") != std::string::npos);
}

TEST_CASE("moderation: the transcript holds the caller's text; a flagged conversation is replaced by a decline") {
  json messages = json::array({{{"role", "user"}, {"content", "first"}},
                               {{"role", "assistant"}, {"content", "ok"}},
                               {{"role", "user"},
                                {"content", json::array({{{"type", "text"}, {"text", "look"}},
                                                         {{"type", "image_url"}, {"image_url", {{"url", "data:x"}}}}})}}});
  CHECK(moderation_transcript(messages) == "user: first\n\nassistant: ok\n\nuser: look");
  auto decline = decline_conversation({"dangerous", "jailbreak"});
  REQUIRE(decline.size() == 2);
  CHECK(decline[0]["content"].get<std::string>().find("(categories: dangerous, jailbreak)") != std::string::npos);
  CHECK(decline[0]["content"].get<std::string>().find("declining") != std::string::npos);
  CHECK(decline[1]["role"] == "user");
}
