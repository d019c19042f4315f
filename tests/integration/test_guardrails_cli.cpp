// Guardrails through the real binary, against the fake upstream: masked PII
// never reaches the upstream's request log and comes back to the caller from
// `weir serve` (streamed, a placeholder split across chunks, and not),
// `weir chat` and `weir mcp serve`; a denied input is a 400 / exit 2
// guardrail_violation that never reaches the upstream; a denied streamed
// answer ends with an error chunk naming the guard.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

const std::string kEmail = "bob@example.com";
const std::string kCard = "4111 1111 1111 1111";
const std::string kKey = "AKIAIOSFODNN7EXAMPLE";
const std::string kPrompt = "I am " + kEmail + ", card " + kCard + ", key " + kKey + ". Repeat them.";

struct GuardFixture {
  FakeUpstream upstream;
  WeirHome home;

  GuardFixture() {
    REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"}).exit_code == 0);
    json gateway = {{"name", "g"},
                    {"provider", "fake"},
                    {"model", "fake-model"},
                    {"guardrails", json::array({{{"name", "pii"}, {"type", "pii"}, {"action", "mask"}},
                                                {{"name", "no-wire"}, {"type", "words"}, {"words", {"wire transfer"}}},
                                                {{"name", "codeword"}, {"type", "regex"}, {"patterns", "sword ?fish"},
                                                 {"on", "output"}, {"window", 32}}})}};
    auto applied = home.run({"gateway", "apply", "-f", "-"}, gateway.dump());
    REQUIRE_MESSAGE(applied.exit_code == 0, applied.err);
  }

  // The model repeats the placeholders, the card's split across two chunks.
  void answer_with_placeholders(bool stream) {
    if (stream)
      upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("You are [EMAIL_1], card [CA"),
                                              chunk::content("RD_1], key [SECRET_1]."), chunk::finish("stop"),
                                              chunk::kDone}));
    else
      upstream.enqueue(ScriptedResponse::text_answer("You are [EMAIL_1], card [CARD_1], key [SECRET_1].", false));
  }

  void check_upstream_never_saw_originals() {
    auto requests = upstream.requests();
    REQUIRE_FALSE(requests.empty());
    for (const auto& request : requests) {
      CHECK(request.body.find(kEmail) == std::string::npos);
      CHECK(request.body.find("4111") == std::string::npos);
      CHECK(request.body.find(kKey) == std::string::npos);
      CHECK(request.body.find("[EMAIL_1]") != std::string::npos);
    }
  }
};

const std::string kExpected = "You are " + kEmail + ", card " + kCard + ", key " + kKey + ".";

}  // namespace

TEST_CASE("guardrails serve: masked PII never reaches the upstream and comes back, streamed and not") {
  GuardFixture fixture;
  ServeProcess serve(fixture.home);
  fixture.answer_with_placeholders(false);
  auto plain = http_request(serve.port(), "POST", "/v1/chat/completions",
                            json({{"model", "g"}, {"prompt", kPrompt}}).dump());
  REQUIRE_MESSAGE(plain.status == 200, plain.body);
  auto body = json::parse(plain.body);
  CHECK(body["choices"][0]["message"]["content"] == kExpected);
  CHECK(body["generation_context"]["guardrails"][0]["guard"] == "pii");

  fixture.answer_with_placeholders(true);
  auto streamed = http_request(serve.port(), "POST", "/v1/chat/completions",
                               json({{"model", "g"}, {"prompt", kPrompt}, {"stream", true}}).dump());
  REQUIRE(streamed.status == 200);
  std::string text;
  for (const auto& event : sse_data(streamed.body)) {
    if (event == "[DONE]") continue;
    auto parsed = json::parse(event);
    for (const auto& choice : parsed["choices"])
      if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
  }
  CHECK(text == kExpected);
  fixture.check_upstream_never_saw_originals();

  // The request log holds what the guard did, never what it masked.
  auto logs = fixture.home.run({"--json", "logs"});
  REQUIRE(logs.exit_code == 0);
  CHECK(logs.out.find("\"guardrails\"") != std::string::npos);
  CHECK(logs.out.find(kEmail) == std::string::npos);
}

TEST_CASE("guardrails serve: a denied input is a 400 guardrail_violation; a denied streamed answer ends with an error chunk") {
  GuardFixture fixture;
  ServeProcess serve(fixture.home);
  auto denied = http_request(serve.port(), "POST", "/v1/chat/completions",
                             json({{"model", "g"}, {"prompt", "please send a Wire Transfer"}}).dump());
  CHECK(denied.status == 400);
  auto error = json::parse(denied.body)["error"];
  CHECK(error["code"] == "guardrail_violation");
  CHECK(error["message"].get<std::string>().find("'no-wire'") != std::string::npos);
  CHECK(fixture.upstream.requests().empty());

  // Past the 256 bytes the pii guard holds back, so the stream has begun when the deny comes.
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content(std::string(400, 'x') + " it is sword"),
                                                  chunk::content("fish"), chunk::finish("stop"), chunk::kDone}));
  auto streamed = http_request(serve.port(), "POST", "/v1/chat/completions",
                               json({{"model", "g"}, {"prompt", "the code?"}, {"stream", true}}).dump());
  REQUIRE(streamed.status == 200);
  auto events = sse_data(streamed.body);
  REQUIRE(events.size() >= 2);
  CHECK(events.back() == "[DONE]");
  auto last = json::parse(events[events.size() - 2]);
  REQUIRE(last.contains("error"));
  CHECK(last["error"]["code"] == "guardrail_violation");
  CHECK(last["error"]["message"].get<std::string>().find("'codeword'") != std::string::npos);
  CHECK(streamed.body.find("sword") == std::string::npos);
}

TEST_CASE("guardrails chat and mcp serve: masked and given back; a denied input exits 2") {
  GuardFixture fixture;
  fixture.answer_with_placeholders(true);
  auto chat = fixture.home.run({"chat", "g", kPrompt});
  REQUIRE_MESSAGE(chat.exit_code == 0, chat.err);
  CHECK(chat.out.find(kExpected) != std::string::npos);

  auto denied = fixture.home.run({"chat", "g", "a wire transfer, please"});
  CHECK(denied.exit_code == 2);
  CHECK(denied.err.find("guardrail 'no-wire'") != std::string::npos);

  fixture.answer_with_placeholders(true);  // invoke_* streams from the upstream
  McpSession session(fixture.home, {"--gateway", "g"});
  session.initialize();
  auto called = session.request("tools/call", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", kPrompt}}}}, 2);
  REQUIRE_MESSAGE(called.contains("result"), called.dump());
  CHECK(called["result"]["content"][0]["text"] == kExpected);
  fixture.check_upstream_never_saw_originals();
}
