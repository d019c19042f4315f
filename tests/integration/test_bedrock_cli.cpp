// A bedrock provider end to end: the built binary, a temporary home, AWS
// credentials in the child's environment, and the fake upstream answering
// Bedrock's Converse paths in its wire format (JSON and binary event-stream
// frames).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/event_stream_frames.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

constexpr const char* kModel = "anthropic.claude-3-haiku-20240307-v1:0";
constexpr const char* kSecret = "bedrock-cli-test-secret";

struct BedrockFixture {
  FakeUpstream upstream;
  WeirHome home;

  BedrockFixture() {
    upstream.answer_posts_matching("/model/[^/]+/(converse|converse-stream)");
    home.environment = {{"AWS_ACCESS_KEY_ID", "AKIDBEDROCKCLI"},
                        {"AWS_SECRET_ACCESS_KEY", kSecret},
                        {"AWS_SESSION_TOKEN", ""},
                        {"AWS_REGION", ""},
                        {"AWS_PROFILE", ""}};
    auto added = home.run({"provider", "add", "aws", "--kind", "bedrock", "--region", "us-east-1", "--base-url",
                           upstream.root_url(), "--max-retries", "0"});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  }
  void gateway(const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"gateway", "create", "g", "--provider", "aws", "--model", kModel,
                                          "--system", "You are terse."};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    auto created = home.run(arguments);
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("bedrock cli: provider add stores the region and show prints it") {
  BedrockFixture fixture;
  auto shown = fixture.home.run({"provider", "show", "aws"});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  CHECK(contains(shown.out, "kind: bedrock"));
  CHECK(contains(shown.out, "region: us-east-1"));
  CHECK(contains(shown.out, "AWS credentials from $AWS_ACCESS_KEY_ID"));
  auto json_shown = json::parse(fixture.home.run({"--json", "provider", "show", "aws"}).out);
  CHECK(json_shown["region"] == "us-east-1");

  // The preset needs no base URL: the endpoint follows from the region.
  auto preset = fixture.home.run({"provider", "add", "bedrock", "--region", "eu-west-1", "--aws-profile", "work"});
  REQUIRE_MESSAGE(preset.exit_code == 0, preset.err);
  auto preset_shown = json::parse(fixture.home.run({"--json", "provider", "show", "bedrock"}).out);
  CHECK(preset_shown["kind"] == "bedrock");
  CHECK(preset_shown["base_url"] == "");
  CHECK(preset_shown["aws_profile"] == "work");
}

TEST_CASE("bedrock cli: a streamed chat through ConverseStream, signed") {
  BedrockFixture fixture;
  fixture.gateway({"--temperature", "0.3", "--max-tokens", "50"});
  fixture.upstream.enqueue(
      ScriptedResponse::raw_stream(converse_text_stream({"Forty", "-two."}, "end_turn", 11, 3), kEventStreamType));
  auto result = fixture.home.run({"chat", "g", "six times seven?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "Forty-two.\n");
  auto request = fixture.upstream.requests().at(0);
  CHECK(request.path.ends_with("/converse-stream"));
  CHECK(request.json_body["system"] == json::parse(R"([{"text":"You are terse."}])"));
  CHECK(request.json_body["messages"] == json::parse(R"([{"role":"user","content":[{"text":"six times seven?"}]}])"));
  CHECK(request.json_body["inferenceConfig"] == json::parse(R"({"maxTokens":50,"temperature":0.3})"));
  CHECK(request.header("authorization").rfind("AWS4-HMAC-SHA256 Credential=AKIDBEDROCKCLI/", 0) == 0);
  CHECK(contains(request.header("authorization"), "/us-east-1/bedrock/aws4_request"));
  CHECK_FALSE(contains(result.err, kSecret));
}

TEST_CASE("bedrock cli: --json chat prints the completion with Bedrock's usage") {
  BedrockFixture fixture;
  fixture.gateway({});
  json answer = converse_answer("Nightly.", "end_turn", 20, 2);
  answer["usage"]["cacheReadInputTokens"] = 100;
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, answer));
  auto stream_answer = converse_text_stream({"Nightly."}, "end_turn", 20, 2);
  stream_answer.back() = converse_event(
      "metadata", {{"usage", {{"inputTokens", 20}, {"outputTokens", 2}, {"cacheReadInputTokens", 100}}}});
  // Whether --json streams from the upstream or not, the same answer comes back.
  fixture.upstream.set_default(ScriptedResponse::raw_stream(stream_answer, kEventStreamType));
  auto result = fixture.home.run({"--json", "chat", "g", "--no-stream", "when do backups run?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto response = json::parse(result.out);
  CHECK(response["choices"][0]["message"]["content"] == "Nightly.");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK(response["usage"]["prompt_tokens"] == 120);
  CHECK(response["usage"]["completion_tokens"] == 2);
  CHECK(response["usage"]["prompt_tokens_details"]["cached_tokens"] == 100);
  CHECK(fixture.upstream.requests().at(0).path.ends_with("/converse"));
}

TEST_CASE("bedrock cli: --dry-run shows the Converse request and no secret") {
  BedrockFixture fixture;
  fixture.gateway({});
  auto dry = fixture.home.run({"chat", "g", "hi", "--dry-run"});
  REQUIRE_MESSAGE(dry.exit_code == 0, dry.err);
  CHECK_FALSE(contains(dry.out, kSecret));
  CHECK_FALSE(contains(dry.out, "AKIDBEDROCKCLI"));
  auto described = json::parse(dry.out);
  CHECK(contains(described.dump(), "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"));
  CHECK(contains(described.dump(), "AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/"));
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("bedrock cli: errors keep their exit codes (403 -> 5, 400 too long -> 2, 429 -> 6)") {
  BedrockFixture fixture;
  fixture.gateway({});
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      403, {{"message", "The security token included in the request is invalid."}},
      {{"x-amzn-ErrorType", "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/"}}));
  auto rejected = fixture.home.run({"chat", "g", "hi"});
  CHECK(rejected.exit_code == 5);
  CHECK(contains(rejected.err, "security token"));
  CHECK_FALSE(contains(rejected.err, kSecret));

  fixture.upstream.enqueue(ScriptedResponse::json_body(
      400, {{"message", "Input is too long for requested model."}},
      {{"x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"}}));
  auto too_long = fixture.home.run({"chat", "g", "hi"});
  CHECK(too_long.exit_code == 2);
  CHECK(contains(too_long.err, "Input is too long"));

  fixture.upstream.enqueue(ScriptedResponse::json_body(
      429, {{"message", "Too many requests"}},
      {{"x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}}));
  auto throttled = fixture.home.run({"chat", "g", "hi"});
  CHECK(throttled.exit_code == 6);

  WeirHome bare;
  bare.environment = {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""},
                      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/weir-test/credentials"}};
  REQUIRE(bare.run({"provider", "add", "aws", "--kind", "bedrock", "--region", "us-east-1", "--base-url",
                    fixture.upstream.root_url()}).exit_code == 0);
  auto missing = bare.run({"chat", "@aws/some-model", "hi"});
  CHECK(missing.exit_code == 5);
  CHECK(contains(missing.err, "AWS_ACCESS_KEY_ID"));
  CHECK(fixture.upstream.request_count() == 3);
}

TEST_CASE("bedrock cli: a query_function gateway runs its tool loop over ConverseStream") {
  BedrockFixture fixture;
  auto created = fixture.home.run({"collection", "create", "docs"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto imported = fixture.home.run(
      {"collection", "import", "docs", "-"},
      json{{"docid", "keys"}, {"text", "API keys should be rotated every ninety days."}}.dump() + "\n");
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  fixture.gateway({"--collection", "docs", "--strategy", "query_function", "--top", "1"});

  std::vector<std::string> call = {
      converse_event("messageStart", {{"role", "assistant"}}),
      converse_event("contentBlockStart",
                     {{"contentBlockIndex", 0},
                      {"start", {{"toolUse", {{"toolUseId", "tooluse_A1"}, {"name", "docs_search"}}}}}}),
      converse_event("contentBlockDelta",
                     {{"contentBlockIndex", 0}, {"delta", {{"toolUse", {{"input", "{\"search_terms\": "}}}}}}),
      converse_event("contentBlockDelta",
                     {{"contentBlockIndex", 0}, {"delta", {{"toolUse", {{"input", "[\"key rotation\"]}"}}}}}}),
      converse_event("contentBlockStop", {{"contentBlockIndex", 0}}),
      converse_event("messageStop", {{"stopReason", "tool_use"}}),
      converse_event("metadata", {{"usage", {{"inputTokens", 50}, {"outputTokens", 10}}}}),
  };
  fixture.upstream.enqueue(ScriptedResponse::raw_stream(call, kEventStreamType));
  fixture.upstream.enqueue(
      ScriptedResponse::raw_stream(converse_text_stream({"Every ", "ninety days."}, "end_turn", 80, 6), kEventStreamType));
  auto result = fixture.home.run({"chat", "g", "How often should API keys be rotated?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "Every ninety days.\n");

  auto requests = fixture.upstream.requests();
  REQUIRE(requests.size() == 2);
  const json& first = requests[0].json_body;
  REQUIRE(first["toolConfig"]["tools"].size() == 1);
  CHECK(first["toolConfig"]["tools"][0]["toolSpec"]["name"] == "docs_search");
  CHECK(first["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"] ==
        json::array({"search_terms"}));
  const json& second = requests[1].json_body;
  REQUIRE(second["messages"].size() == 3);
  CHECK(second["messages"][1] == json::parse(R"({"role":"assistant","content":[{"toolUse":
      {"toolUseId":"tooluse_A1","name":"docs_search","input":{"search_terms":["key rotation"]}}}]})"));
  const json& result_block = second["messages"][2]["content"][0]["toolResult"];
  CHECK(result_block["toolUseId"] == "tooluse_A1");
  CHECK(contains(result_block["content"][0]["text"].get<std::string>(), "rotated every ninety days"));
  CHECK(second.contains("toolConfig"));
}
