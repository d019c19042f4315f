// Moderation through the real binary, against the fake upstream as both the
// judge (or moderation endpoint) and the model: a flagged conversation never
// reaches the model (the fake's request log), which is told to decline
// instead; a clean one is forwarded unchanged; the judge's call is its own
// usage line; from `weir chat` and `weir serve`, streamed and not.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

const std::string kSecretPlan = "how do I build a pipe bomb";

struct ModerationFixture {
  FakeUpstream upstream;
  WeirHome home;

  explicit ModerationFixture(json moderation) {
    REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"}).exit_code == 0);
    json gateway = {{"name", "g"}, {"provider", "fake"}, {"model", "fake-model"}, {"system", "Be brief."},
                    {"moderation", std::move(moderation)}};
    auto applied = home.run({"gateway", "apply", "-f", "-"}, gateway.dump());
    REQUIRE_MESSAGE(applied.exit_code == 0, applied.err);
  }

  void judge_scores(double dangerous) {
    json scores = {{"violence_hate", 0.1}, {"sexual", 0}, {"political", 0}, {"dangerous", dangerous}, {"jailbreak", 0.05}};
    // A fenced answer: read with the structured-output machinery.
    upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("```json\n" + scores.dump() + "\n```", "stop", 40, 12)));
  }
};

}  // namespace

TEST_CASE("moderation judge: a flagged conversation is not forwarded and the model is told to decline") {
  ModerationFixture fixture({{"provider", "fake"}, {"model", "judge-model"}});
  fixture.judge_scores(0.95);
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Sorry, I can't help with that.", true));
  auto chat = fixture.home.run({"chat", "g", kSecretPlan});
  REQUIRE_MESSAGE(chat.exit_code == 0, chat.err);
  CHECK(chat.out.find("Sorry, I can't help with that.") != std::string::npos);

  auto requests = fixture.upstream.requests();
  REQUIRE(requests.size() == 2);
  // The judge read the conversation, not streamed, asked for the scores' schema.
  CHECK(requests[0].json_body["model"] == "judge-model");
  CHECK(requests[0].json_body.value("stream", false) == false);
  CHECK(requests[0].body.find(kSecretPlan) != std::string::npos);
  CHECK(requests[0].json_body["response_format"]["json_schema"]["name"] == "moderation_scores");
  // The model never saw it: only the instruction to decline.
  CHECK(requests[1].json_body["model"] == "fake-model");
  CHECK(requests[1].body.find(kSecretPlan) == std::string::npos);
  CHECK(requests[1].body.find("bomb") == std::string::npos);
  CHECK(requests[1].body.find("(categories: dangerous)") != std::string::npos);

  auto listed = fixture.home.run({"--json", "logs", "list"});
  REQUIRE(listed.exit_code == 0);
  auto shown = fixture.home.run({"--json", "logs", "show", json::parse(listed.out)[0]["id"].get<std::string>()});
  REQUIRE(shown.exit_code == 0);
  auto row = json::parse(shown.out);
  CHECK(row["metadata"]["moderation"]["flagged"] == json::array({"dangerous"}));
  CHECK(row["metadata"]["moderation"]["scores"]["dangerous"] == 0.95);

  // The same from weir mcp serve.
  fixture.judge_scores(0.95);
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Sorry, no.", true));
  McpSession session(fixture.home, {"--gateway", "g"});
  session.initialize();
  auto called = session.request("tools/call", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", kSecretPlan}}}}, 2);
  REQUIRE_MESSAGE(called.contains("result"), called.dump());
  CHECK(called["result"]["content"][0]["text"] == "Sorry, no.");
  requests = fixture.upstream.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[2].body.find(kSecretPlan) != std::string::npos);  // the judge's
  CHECK(requests[3].body.find(kSecretPlan) == std::string::npos);  // the model's
}

TEST_CASE("moderation judge: a clean conversation is forwarded; the judge is its own usage line (serve, streamed and not)") {
  ModerationFixture fixture({{"provider", "fake"}, {"model", "judge-model"}, {"thresholds", {{"dangerous", 0.9}}}});
  ServeProcess serve(fixture.home);
  for (bool stream : {false, true}) {
    CAPTURE(stream);
    fixture.judge_scores(0.5);  // under the raised threshold
    fixture.upstream.enqueue(ScriptedResponse::text_answer("Use a chemistry set safely.", stream));
    auto answer = http_request(serve.port(), "POST", "/v1/chat/completions",
                               json({{"model", "g"}, {"prompt", "what is in a chemistry set?"}, {"stream", stream}}).dump());
    REQUIRE_MESSAGE(answer.status == 200, answer.body);
    auto forwarded = fixture.upstream.requests().back();
    CHECK(forwarded.body.find("what is in a chemistry set?") != std::string::npos);
    CHECK(forwarded.body.find("Be brief.") != std::string::npos);
    if (stream) {
      CHECK(answer.body.find("chemistry") != std::string::npos);
      continue;
    }
    auto body = json::parse(answer.body);
    CHECK(body["generation_context"]["moderation"]["flagged"] == json::array());
    auto lines = body["generation_context"]["generated_usage"];
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0]["sku"] == "fake/judge-model:input_tokens");
    CHECK(lines[0]["quantity"] == 40);
    CHECK(lines[0]["description"].get<std::string>().rfind("moderation judge", 0) == 0);
    CHECK(lines[1]["sku"] == "fake/judge-model:output_tokens");
    CHECK(lines[1]["quantity"] == 12);
    CHECK(lines[2]["sku"] == "fake/fake-model:input_tokens");
  }
}

TEST_CASE("moderation endpoint: OpenAI's /moderations scores decide; a judge answer without scores stops the request") {
  ModerationFixture fixture({{"provider", "fake"}, {"model", "omni-moderation-latest"}, {"mode", "endpoint"}});
  fixture.upstream.answer_posts_matching("/v1/moderations");
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      200, {{"id", "modr-1"},
            {"results", json::array({{{"flagged", true}, {"category_scores", {{"hate", 0.98}, {"sexual", 0.0}}}}})}}));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("I won't help with that.", true));
  auto chat = fixture.home.run({"chat", "g", "a hateful rant"});
  REQUIRE_MESSAGE(chat.exit_code == 0, chat.err);
  auto requests = fixture.upstream.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].path == "/v1/moderations");
  CHECK(requests[0].json_body["model"] == "omni-moderation-latest");
  CHECK(requests[0].json_body["input"].get<std::string>().find("a hateful rant") != std::string::npos);
  CHECK(requests[1].body.find("hateful") == std::string::npos);
  CHECK(requests[1].body.find("(categories: violence_hate)") != std::string::npos);

  ModerationFixture judged({{"provider", "fake"}, {"model", "judge-model"}});
  judged.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("I would rather not score this.")));
  auto failed = judged.home.run({"chat", "g", "hello"});
  CHECK(failed.exit_code == 4);
  CHECK(failed.err.find("the moderation judge fake/judge-model answered no scores") != std::string::npos);
  CHECK(judged.upstream.requests().size() == 1);  // the model was never asked
}
