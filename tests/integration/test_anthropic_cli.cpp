// The anthropic provider kind end to end: the built binary with a provider of
// kind anthropic pointing at the fake upstream, which answers POST
// /v1/messages in Anthropic's wire format. `weir chat` streamed, --json with
// the cache usage lines, --dry-run, a context-too-long rejection, the
// server-side tool loop of query_function, and `weir serve` answering OpenAI
// shapes from Anthropic answers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

constexpr const char* kKeyVariable = "WEIR_TEST_ANTHROPIC_KEY";
constexpr const char* kKey = "sk-ant-integration-secret";

// ----- Anthropic stream frames: `event: TYPE` + `data: {...}` -----

std::string frame(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}
std::string message_start(const json& usage) {
  return frame({{"type", "message_start"},
                {"message",
                 {{"id", "msg_cli"}, {"type", "message"}, {"role", "assistant"}, {"content", json::array()},
                  {"model", "claude-test"}, {"stop_reason", nullptr}, {"stop_sequence", nullptr}, {"usage", usage}}}});
}
std::string text_block(int index, const std::vector<std::string>& pieces) {
  std::string frames = frame({{"type", "content_block_start"}, {"index", index},
                              {"content_block", {{"type", "text"}, {"text", ""}}}});
  for (const auto& piece : pieces)
    frames += frame({{"type", "content_block_delta"}, {"index", index},
                     {"delta", {{"type", "text_delta"}, {"text", piece}}}});
  return frames + frame({{"type", "content_block_stop"}, {"index", index}});
}
std::string tool_block(int index, const std::string& id, const std::string& name,
                       const std::vector<std::string>& fragments) {
  std::string frames = frame({{"type", "content_block_start"}, {"index", index},
                              {"content_block", {{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", json::object()}}}});
  for (const auto& fragment : fragments)
    frames += frame({{"type", "content_block_delta"}, {"index", index},
                     {"delta", {{"type", "input_json_delta"}, {"partial_json", fragment}}}});
  return frames + frame({{"type", "content_block_stop"}, {"index", index}});
}
std::string message_end(const std::string& stop_reason, int64_t output_tokens) {
  return frame({{"type", "message_delta"}, {"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                {"usage", {{"output_tokens", output_tokens}}}}) +
         frame({{"type", "message_stop"}});
}
// Frames are written one chunk each, as a server flushes them.
ScriptedResponse stream_of(const std::vector<std::string>& frames) {
  return ScriptedResponse::raw_stream(frames, "text/event-stream");
}
ScriptedResponse text_stream(const std::vector<std::string>& pieces, const json& usage = {{"input_tokens", 10}, {"output_tokens", 1}},
                             int64_t output_tokens = 4) {
  return stream_of({message_start(usage), "event: ping\ndata: {\"type\": \"ping\"}\n\n", text_block(0, pieces),
                    message_end("end_turn", output_tokens)});
}

struct AnthropicFixture {
  FakeUpstream upstream;
  WeirHome home;

  AnthropicFixture() {
    upstream.answer_posts_matching("/v1/messages");
    home.environment[kKeyVariable] = kKey;
    run_ok({"provider", "add", "claude", "--kind", "anthropic", "--base-url", upstream.base_url(), "--api-key-env",
            kKeyVariable, "--max-retries", "0"});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  void gateway(const std::vector<std::string>& flags = {}) {
    std::vector<std::string> arguments = {"gateway", "create", "g", "--provider", "claude", "--model", "claude-test",
                                          "--system", "Be brief."};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    run_ok(arguments);
  }
  json body(size_t index) const {
    auto requests = upstream.requests();
    REQUIRE(index < requests.size());
    return requests[index].json_body;
  }
};

std::string line(const json& document) { return document.dump() + "\n"; }

const std::string kKeysText =
    "API keys should be rotated every ninety days. Revoke a leaked key at once with weir key revoke.";

}  // namespace

TEST_CASE("anthropic cli: weir chat streams the answer from a Messages stream") {
  AnthropicFixture fixture;
  fixture.gateway();
  fixture.upstream.enqueue(text_stream({"Hello", " there."}));
  auto result = fixture.run_ok({"chat", "g", "Say hello."});
  CHECK(result.out == "Hello there.\n");

  REQUIRE(fixture.upstream.request_count() == 1);
  auto sent = fixture.upstream.requests().at(0);
  CHECK(sent.path == "/v1/messages");
  CHECK(sent.header("x-api-key") == kKey);
  CHECK(sent.header("anthropic-version") == "2023-06-01");
  CHECK(sent.json_body["model"] == "claude-test");
  CHECK(sent.json_body["system"] == "Be brief.");
  CHECK(sent.json_body["max_tokens"] == 4096);
  CHECK(sent.json_body["stream"] == true);
  CHECK(sent.json_body["messages"] ==
        json::array({{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "Say hello."}}})}}}));
}

TEST_CASE("anthropic cli: --json has OpenAI usage and usage lines for input, cached input and cache writes") {
  AnthropicFixture fixture;
  fixture.gateway({"--max-tokens", "200"});
  fixture.upstream.enqueue(text_stream(
      {"Cached."},
      {{"input_tokens", 100}, {"output_tokens", 1}, {"cache_read_input_tokens", 2000}, {"cache_creation_input_tokens", 300}},
      50));
  auto response = json::parse(fixture.run_ok({"--json", "chat", "g", "hi"}).out);
  CHECK(response["object"] == "chat.completion");
  CHECK(response["choices"][0]["message"]["content"] == "Cached.");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK(response["usage"]["prompt_tokens"] == 2400);
  CHECK(response["usage"]["completion_tokens"] == 50);
  auto lines = response["generation_context"]["generated_usage"];
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["sku"] == "claude/claude-test:input_tokens");
  CHECK(lines[0]["quantity"] == 100);
  CHECK(lines[1]["sku"] == "claude/claude-test:cached_input_tokens");
  CHECK(lines[1]["quantity"] == 2000);
  CHECK(lines[2]["sku"] == "claude/claude-test:cache_write_input_tokens");
  CHECK(lines[2]["quantity"] == 300);
  CHECK(lines[3]["sku"] == "claude/claude-test:output_tokens");
  CHECK(lines[3]["quantity"] == 50);
  CHECK(fixture.body(0)["max_tokens"] == 200);
}

TEST_CASE("anthropic cli: --dry-run prints the Messages request with the key as a placeholder") {
  AnthropicFixture fixture;
  fixture.gateway({"--temperature", "0.3"});
  auto dry = fixture.run_ok({"chat", "g", "hi", "--dry-run"});
  CHECK(dry.out.find(kKey) == std::string::npos);
  auto shown = json::parse(dry.out);
  CHECK(shown["method"] == "POST");
  CHECK(shown["url"] == fixture.upstream.base_url() + "/messages");
  CHECK(shown["headers"]["x-api-key"] == std::string("$") + kKeyVariable);
  CHECK(shown["headers"]["anthropic-version"] == "2023-06-01");
  CHECK(shown["body"]["system"] == "Be brief.");
  CHECK(shown["body"]["temperature"] == 0.3);
  CHECK(shown["body"]["max_tokens"] == 4096);
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("anthropic cli: a prompt too long for the model exits 2 with Anthropic's message") {
  AnthropicFixture fixture;
  fixture.gateway();
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      400, {{"type", "error"},
            {"error", {{"type", "invalid_request_error"}, {"message", "prompt is too long: 208310 tokens > 200000 maximum"}}}}));
  auto result = fixture.home.run({"chat", "g", "hi"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("prompt is too long: 208310 tokens > 200000 maximum") != std::string::npos);
}

TEST_CASE("anthropic cli: query_function runs the search tool between a tool_use and the final text") {
  AnthropicFixture fixture;
  fixture.run_ok({"collection", "create", "docs"});
  fixture.run_ok({"collection", "import", "docs", "-"},
                 line({{"docid", "keys"}, {"text", kKeysText}}) +
                     line({{"docid", "backups"}, {"text", "Backups of the store run nightly and are kept for thirty days."}}));
  fixture.gateway({"--collection", "docs", "--strategy", "query_function", "--top", "1"});
  fixture.upstream.enqueue(stream_of({message_start({{"input_tokens", 50}, {"output_tokens", 1}}),
                                      tool_block(0, "toolu_search", "docs_search", {"{\"search_terms\": [\"key ", "rotation\"]}"}),
                                      message_end("tool_use", 20)}));
  fixture.upstream.enqueue(text_stream({"Every ", "ninety days."}));
  auto response = json::parse(fixture.run_ok({"--json", "chat", "g", "How often should API keys be rotated?"}).out);
  CHECK(response["choices"][0]["message"]["content"] == "Every ninety days.");
  auto functions = response["generation_context"]["runned_functions"];
  REQUIRE(functions.size() == 1);
  CHECK(functions[0]["success"] == true);

  REQUIRE(fixture.upstream.request_count() == 2);
  auto first = fixture.body(0);
  REQUIRE(first["tools"].size() == 1);
  CHECK(first["tools"][0]["name"] == "docs_search");
  CHECK(first["tools"][0]["input_schema"]["required"] == json::array({"search_terms"}));

  auto second = fixture.body(1);
  REQUIRE(second["messages"].size() == 3);
  json expected_call = {{"role", "assistant"},
                        {"content", json::array({{{"type", "tool_use"}, {"id", "toolu_search"}, {"name", "docs_search"},
                                                  {"input", {{"search_terms", json::array({"key rotation"})}}}}})}};
  CHECK(second["messages"][1] == expected_call);
  auto result = second["messages"][2];
  CHECK(result["role"] == "user");
  REQUIRE(result["content"].size() == 1);
  CHECK(result["content"][0]["type"] == "tool_result");
  CHECK(result["content"][0]["tool_use_id"] == "toolu_search");
  std::string found = result["content"][0]["content"][0]["text"].get<std::string>();
  CHECK(found.find(kKeysText) != std::string::npos);
  CHECK(found.find("docid=\"keys\"") != std::string::npos);
  CHECK(second["tools"] == first["tools"]);
}

TEST_CASE("anthropic cli: weir serve answers OpenAI chat completions from Anthropic answers") {
  AnthropicFixture fixture;
  fixture.gateway();
  ServeProcess serve(fixture.home);

  fixture.upstream.enqueue(ScriptedResponse::json_body(
      200, {{"id", "msg_whole"}, {"type", "message"}, {"role", "assistant"}, {"model", "claude-test"},
            {"content", json::array({{{"type", "text"}, {"text", "forty-two"}}})}, {"stop_reason", "end_turn"},
            {"stop_sequence", nullptr}, {"usage", {{"input_tokens", 12}, {"output_tokens", 3}}}}));
  auto whole = http_request(serve.port(), "POST", "/v1/chat/completions",
                            json{{"model", "g"}, {"messages", {{{"role", "user"}, {"content", "six times seven?"}}}}}.dump());
  REQUIRE_MESSAGE(whole.status == 200, whole.raw);
  auto response = json::parse(whole.body);
  CHECK(response["object"] == "chat.completion");
  CHECK(response["choices"][0]["message"]["role"] == "assistant");
  CHECK(response["choices"][0]["message"]["content"] == "forty-two");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK(response["usage"]["prompt_tokens"] == 12);
  CHECK(response["usage"]["completion_tokens"] == 3);
  CHECK(fixture.body(0)["stream"] == false);
  CHECK(fixture.body(0)["system"] == "Be brief.");

  fixture.upstream.enqueue(text_stream({"Hel", "lo"}, {{"input_tokens", 7}, {"output_tokens", 1}}, 2));
  auto streamed = http_request(serve.port(), "POST", "/v1/chat/completions",
                               json{{"model", "g"}, {"prompt", "hi"}, {"stream", true},
                                    {"stream_options", {{"include_usage", true}}}}.dump());
  REQUIRE_MESSAGE(streamed.status == 200, streamed.raw);
  CHECK(streamed.header("content-type").find("text/event-stream") == 0);
  auto events = sse_data(streamed.body);
  REQUIRE(events.size() >= 4);
  CHECK(events.back() == "[DONE]");
  std::string text;
  int finishes = 0;
  json usage;
  for (size_t index = 0; index + 1 < events.size(); ++index) {
    auto event = json::parse(events[index]);
    CHECK(event["object"] == "chat.completion.chunk");
    if (event.contains("usage") && !event["usage"].is_null()) usage = event["usage"];
    if (event["choices"].empty()) continue;
    auto& choice = event["choices"][0];
    if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) {
      ++finishes;
      CHECK(choice["finish_reason"] == "stop");
    }
  }
  CHECK(text == "Hello");
  CHECK(finishes == 1);
  REQUIRE(usage.is_object());
  CHECK(usage["prompt_tokens"] == 7);
  CHECK(usage["completion_tokens"] == 2);
  CHECK(fixture.body(1)["stream"] == true);
}
