// The anthropic adapter against the fake upstream speaking Anthropic's
// Messages API: request bodies and headers, streamed (`event:` + `data:`
// frames) and whole answers, tool calls both ways, content parts, thinking,
// usage with prompt-cache tokens, error events and HTTP error classes.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/provider/anthropic_provider.hpp"
#include "core/provider/provider.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::FakeUpstream;
using weir::testing::ScriptedResponse;

namespace {

constexpr const char* kKeyVariable = "WEIR_TEST_ANTHROPIC_KEY";

ProviderConfig config_for(const FakeUpstream& upstream) {
  ProviderConfig config;
  config.name = "claude";
  config.kind = ProviderKind::anthropic;
  config.base_url = upstream.base_url();
  config.api_key_env = kKeyVariable;
  config.connect_timeout_ms = 2000;
  config.idle_timeout_ms = 5000;
  config.max_retries = 2;
  return config;
}

// Every test that reaches the fake has the key set; the fake checks nothing,
// the tests check what it received.
struct AnthropicFake {
  FakeUpstream upstream;
  AnthropicFake() {
    setenv(kKeyVariable, "sk-ant-test-secret", 1);
    upstream.answer_posts_matching("/v1/messages");
  }
  ~AnthropicFake() { unsetenv(kKeyVariable); }
  json body(size_t index) const {
    auto requests = upstream.requests();
    REQUIRE(index < requests.size());
    return requests[index].json_body;
  }
};

ChatRequest request_of(json messages, bool stream) {
  ChatRequest request;
  request.model = "claude-test";
  request.messages = std::move(messages);
  request.stream = stream;
  return request;
}

json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

struct ChatOutcome {
  Completion completion;
  std::vector<StreamDelta> deltas;
};

ChatOutcome run_chat(const ProviderConfig& config, const ChatRequest& request) {
  ChatOutcome outcome;
  outcome.completion = make_provider(config)->chat(
      request, [&](const StreamDelta& delta) { outcome.deltas.push_back(delta); }, CancelToken());
  return outcome;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ----- Anthropic's stream, frame by frame, as its API reference shows it -----

std::string frame(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}

std::string message_start(json usage = {{"input_tokens", 25}, {"output_tokens", 1}}) {
  return frame({{"type", "message_start"},
                {"message",
                 {{"id", "msg_01"},
                  {"type", "message"},
                  {"role", "assistant"},
                  {"content", json::array()},
                  {"model", "claude-test-20260101"},
                  {"stop_reason", nullptr},
                  {"stop_sequence", nullptr},
                  {"usage", usage}}}});
}
std::string ping() { return frame({{"type", "ping"}}); }
std::string text_start(int index) {
  return frame({{"type", "content_block_start"}, {"index", index}, {"content_block", {{"type", "text"}, {"text", ""}}}});
}
std::string thinking_start(int index) {
  return frame({{"type", "content_block_start"},
                {"index", index},
                {"content_block", {{"type", "thinking"}, {"thinking", ""}}}});
}
std::string tool_start(int index, const std::string& id, const std::string& name) {
  return frame({{"type", "content_block_start"},
                {"index", index},
                {"content_block", {{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", json::object()}}}});
}
std::string block_delta(int index, json delta) {
  return frame({{"type", "content_block_delta"}, {"index", index}, {"delta", std::move(delta)}});
}
std::string text_delta(int index, const std::string& text) {
  return block_delta(index, {{"type", "text_delta"}, {"text", text}});
}
std::string json_delta(int index, const std::string& partial) {
  return block_delta(index, {{"type", "input_json_delta"}, {"partial_json", partial}});
}
std::string block_stop(int index) { return frame({{"type", "content_block_stop"}, {"index", index}}); }
std::string message_delta(const std::string& stop_reason, int64_t output_tokens) {
  return frame({{"type", "message_delta"},
                {"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                {"usage", {{"output_tokens", output_tokens}}}});
}
std::string message_stop() { return frame({{"type", "message_stop"}}); }
std::string error_event(const std::string& type, const std::string& message) {
  return frame({{"type", "error"}, {"error", {{"type", type}, {"message", message}}}});
}

ScriptedResponse stream_of(const std::vector<std::string>& frames) {
  return ScriptedResponse::raw_stream(frames, "text/event-stream");
}

ScriptedResponse text_stream(const std::string& text) {
  return stream_of({message_start(), text_start(0), text_delta(0, text), block_stop(0), message_delta("end_turn", 3),
                    message_stop()});
}

json message_object(json content, const std::string& stop_reason, json usage) {
  return {{"id", "msg_02"},       {"type", "message"},         {"role", "assistant"},
          {"content", content},   {"model", "claude-test-20260101"}, {"stop_reason", stop_reason},
          {"stop_sequence", nullptr}, {"usage", usage}};
}

json anthropic_error(const std::string& type, const std::string& message) {
  return {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}};
}

}  // namespace

TEST_CASE("anthropic: the request body and headers in the Messages format") {
  AnthropicFake fake;
  fake.upstream.enqueue(text_stream("ok"));
  auto request = request_of(json::array({{{"role", "system"}, {"content", "Be brief."}},
                                         user("Name a colour."),
                                         {{"role", "system"}, {"content", "Answer in English."}},
                                         user("Just one."),
                                         {{"role", "assistant"}, {"content", "The colour is"}}}),
                            true);
  request.sampling.temperature = 0.2;
  request.sampling.top_p = 0.9;
  request.sampling.top_k = 40;
  request.sampling.seed = 7;                // no Anthropic equivalent: not sent
  request.sampling.presence_penalty = 0.5;  // no Anthropic equivalent: not sent
  request.sampling.stop = {"\n\n"};
  run_chat(config_for(fake.upstream), request);

  REQUIRE(fake.upstream.request_count() == 1);
  auto sent = fake.upstream.requests().at(0);
  CHECK(sent.method == "POST");
  CHECK(sent.path == "/v1/messages");
  json expected = {
      {"model", "claude-test"},
      {"max_tokens", 4096},  // the documented default
      {"system", "Be brief.\n\nAnswer in English."},
      {"messages",
       json::array({{{"role", "user"},
                     {"content", json::array({{{"type", "text"}, {"text", "Name a colour."}},
                                              {{"type", "text"}, {"text", "Just one."}}})}},
                    // the prefill stays the last turn, for Anthropic to continue
                    {{"role", "assistant"}, {"content", json::array({{{"type", "text"}, {"text", "The colour is"}}})}}})},
      {"temperature", 0.2},
      {"top_p", 0.9},
      {"top_k", 40},
      {"stop_sequences", json::array({"\n\n"})},
      {"stream", true}};
  CHECK(sent.json_body == expected);
  CHECK(sent.header("x-api-key") == "sk-ant-test-secret");
  CHECK(sent.header("anthropic-version") == "2023-06-01");
  CHECK(sent.header("content-type") == "application/json");
  CHECK(sent.header("Authorization").empty());

  SUBCASE("the gateway's max_tokens and configured headers win") {
    auto config = config_for(fake.upstream);
    config.headers = {{"anthropic-version", "2024-01-01"}, {"anthropic-beta", "some-feature"}};
    request.sampling.max_tokens = 300;
    request.stream = false;
    fake.upstream.enqueue(ScriptedResponse::json_body(
        200, message_object(json::array({{{"type", "text"}, {"text", "ok"}}}), "end_turn", json::object())));
    run_chat(config, request);
    auto second = fake.upstream.requests().at(1);
    CHECK(second.json_body["max_tokens"] == 300);
    CHECK(second.json_body["stream"] == false);
    CHECK(second.header("anthropic-version") == "2024-01-01");
    CHECK(second.header("anthropic-beta") == "some-feature");
  }
}

TEST_CASE("anthropic: a prefill ending in white space is sent without it") {
  AnthropicFake fake;
  fake.upstream.enqueue(text_stream("blue"));
  run_chat(config_for(fake.upstream),
           request_of(json::array({user("Colour?"), {{"role", "assistant"}, {"content", "The colour is \n"}}}), true));
  CHECK(fake.body(0)["messages"].back() ==
        json{{"role", "assistant"}, {"content", json::array({{{"type", "text"}, {"text", "The colour is"}}})}});

  fake.upstream.enqueue(text_stream("blue"));
  run_chat(config_for(fake.upstream),
           request_of(json::array({user("Colour?"), {{"role", "assistant"}, {"content", "  "}}}), true));
  CHECK(fake.body(1)["messages"] ==
        json::array({{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "Colour?"}}})}}}));
}

TEST_CASE("anthropic: a non-streamed Message answer") {
  AnthropicFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(
      200, message_object(json::array({{{"type", "thinking"}, {"thinking", "Sky."}, {"signature", "c2ln"}},
                                       {{"type", "text"}, {"text", "Blue"}},
                                       {{"type", "text"}, {"text", "."}}}),
                          "end_turn",
                          {{"input_tokens", 20}, {"output_tokens", 2}, {"cache_read_input_tokens", 100},
                           {"cache_creation_input_tokens", 30}})));
  auto outcome = run_chat(config_for(fake.upstream), request_of(json::array({user("Sky colour?")}), false));
  REQUIRE(outcome.deltas.size() == 1);
  const Completion& completion = outcome.completion;
  CHECK(completion.content == "Blue.");
  CHECK(completion.reasoning == "Sky.");
  CHECK(completion.finish_reason == "stop");
  CHECK(completion.id == "msg_02");
  CHECK(completion.model == "claude-test-20260101");
  REQUIRE(completion.usage.has_value());
  CHECK(completion.usage->prompt_tokens == 150);  // 20 + 100 read + 30 written
  CHECK(completion.usage->cached_tokens == 100);
  CHECK(completion.usage->cache_write_tokens == 30);
  CHECK(completion.usage->completion_tokens == 2);
}

TEST_CASE("anthropic: a stream is delivered delta by delta, usage with cache read and write tokens") {
  AnthropicFake fake;
  fake.upstream.enqueue(stream_of(
      {message_start({{"input_tokens", 12}, {"output_tokens", 1}, {"cache_read_input_tokens", 2048},
                      {"cache_creation_input_tokens", 512}}),
       ping(), text_start(0), text_delta(0, "Hel"), ping(), text_delta(0, "lo"),
       block_delta(0, {{"type", "citations_delta"}, {"citation", json::object()}}),  // not for chat completions
       block_stop(0), message_delta("end_turn", 7), message_stop()}));
  auto outcome = run_chat(config_for(fake.upstream), request_of(json::array({user("Hi")}), true));
  REQUIRE(outcome.deltas.size() == 3);
  CHECK(outcome.deltas[0].content == "Hel");
  CHECK(outcome.deltas[1].content == "lo");
  CHECK(outcome.deltas[2].finish_reason == "stop");
  REQUIRE(outcome.deltas[2].usage.has_value());
  const Completion& completion = outcome.completion;
  CHECK(completion.content == "Hello");
  CHECK(completion.id == "msg_01");
  CHECK(completion.model == "claude-test-20260101");
  REQUIRE(completion.usage.has_value());
  CHECK(completion.usage->prompt_tokens == 12 + 2048 + 512);
  CHECK(completion.usage->cached_tokens == 2048);
  CHECK(completion.usage->cache_write_tokens == 512);
  CHECK(completion.usage->completion_tokens == 7);
}

TEST_CASE("anthropic: stop reasons become finish reasons; a refusal is an answer, not an error") {
  std::vector<std::pair<std::string, std::string>> cases = {{"end_turn", "stop"},
                                                             {"stop_sequence", "stop"},
                                                             {"max_tokens", "length"},
                                                             {"tool_use", "tool_calls"},
                                                             {"refusal", "content_filter"}};
  for (const auto& [stop_reason, finish_reason] : cases) {
    CAPTURE(stop_reason);
    AnthropicFake fake;
    fake.upstream.enqueue(stream_of({message_start(), text_start(0), text_delta(0, "I can't help with that."),
                                     block_stop(0), message_delta(stop_reason, 6), message_stop()}));
    auto outcome = run_chat(config_for(fake.upstream), request_of(json::array({user("Something harmful")}), true));
    CHECK(outcome.completion.finish_reason == finish_reason);
    CHECK(outcome.completion.content == "I can't help with that.");
  }
  AnthropicFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(
      200, message_object(json::array(), "refusal", {{"input_tokens", 9}, {"output_tokens", 0}})));
  auto outcome = run_chat(config_for(fake.upstream), request_of(json::array({user("Something harmful")}), false));
  CHECK(outcome.completion.finish_reason == "content_filter");
}

TEST_CASE("anthropic: a tool round trip: tool_use streamed as a call, the result sent back as tool_result") {
  AnthropicFake fake;
  ChatRequest request = request_of(json::array({user("Weather in Oslo?")}), true);
  request.tools = json::array({{{"type", "function"},
                                {"function",
                                 {{"name", "get_weather"},
                                  {"description", "Current weather of a city"},
                                  {"parameters", {{"type", "object"},
                                                  {"properties", {{"city", {{"type", "string"}}}}},
                                                  {"required", json::array({"city"})}}}}}}});
  request.tool_choice = "auto";
  fake.upstream.enqueue(stream_of({message_start(), text_start(0), text_delta(0, "Checking."), block_stop(0),
                                   tool_start(1, "toolu_01", "get_weather"), json_delta(1, ""),
                                   json_delta(1, "{\"city\": \"Os"), json_delta(1, "lo\"}"), block_stop(1),
                                   message_delta("tool_use", 20), message_stop()}));
  auto first = run_chat(config_for(fake.upstream), request).completion;
  CHECK(first.content == "Checking.");
  CHECK(first.finish_reason == "tool_calls");
  REQUIRE(first.tool_calls.size() == 1);
  CHECK(first.tool_calls[0].id == "toolu_01");
  CHECK(first.tool_calls[0].name == "get_weather");
  CHECK(first.tool_calls[0].arguments == "{\"city\": \"Oslo\"}");

  json sent = fake.body(0);
  CHECK(sent["tools"] == json::array({{{"name", "get_weather"},
                                       {"description", "Current weather of a city"},
                                       {"input_schema", request.tools[0]["function"]["parameters"]}}}));
  CHECK(sent["tool_choice"] == json{{"type", "auto"}});

  request.messages.push_back(first.assistant_message());
  request.messages.push_back({{"role", "tool"}, {"tool_call_id", "toolu_01"}, {"content", "12 degrees, rain"}});
  fake.upstream.enqueue(text_stream("Rainy, 12 degrees."));
  auto second = run_chat(config_for(fake.upstream), request).completion;
  CHECK(second.content == "Rainy, 12 degrees.");
  json expected = json::array(
      {{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "Weather in Oslo?"}}})}},
       {{"role", "assistant"},
        {"content", json::array({{{"type", "text"}, {"text", "Checking."}},
                                 {{"type", "tool_use"}, {"id", "toolu_01"}, {"name", "get_weather"},
                                  {"input", {{"city", "Oslo"}}}}})}},
       {{"role", "user"},
        {"content", json::array({{{"type", "tool_result"}, {"tool_use_id", "toolu_01"},
                                  {"content", json::array({{{"type", "text"}, {"text", "12 degrees, rain"}}})}}})}}});
  CHECK(fake.body(1)["messages"] == expected);
}

TEST_CASE("anthropic: parallel tool calls arrive as two calls and their results share one user turn") {
  AnthropicFake fake;
  ChatRequest request = request_of(json::array({user("Weather in Oslo and Bergen?")}), true);
  request.tools = json::array({{{"type", "function"}, {"function", {{"name", "get_weather"}}}}});
  fake.upstream.enqueue(stream_of({message_start(), tool_start(0, "toolu_a", "get_weather"),
                                   tool_start(1, "toolu_b", "get_weather"),  // interleaved, as the index allows
                                   json_delta(1, "{\"city\":\"Bergen\"}"), json_delta(0, "{\"city\":"),
                                   json_delta(0, "\"Oslo\"}"), block_stop(0), block_stop(1),
                                   message_delta("tool_use", 30), message_stop()}));
  auto first = run_chat(config_for(fake.upstream), request).completion;
  REQUIRE(first.tool_calls.size() == 2);
  CHECK(first.tool_calls[0].id == "toolu_a");
  CHECK(first.tool_calls[0].arguments == "{\"city\":\"Oslo\"}");
  CHECK(first.tool_calls[1].id == "toolu_b");
  CHECK(first.tool_calls[1].arguments == "{\"city\":\"Bergen\"}");
  CHECK(fake.body(0)["tools"] ==
        json::array({{{"name", "get_weather"}, {"input_schema", {{"type", "object"}}}}}));  // no parameters given

  request.messages.push_back(first.assistant_message());
  request.messages.push_back({{"role", "tool"}, {"tool_call_id", "toolu_a"}, {"content", "sun"}});
  request.messages.push_back({{"role", "tool"}, {"tool_call_id", "toolu_b"}, {"content", "rain"}});
  request.messages.push_back(user("Thanks, and which is warmer?"));
  fake.upstream.enqueue(text_stream("Oslo."));
  run_chat(config_for(fake.upstream), request);
  json messages = fake.body(1)["messages"];
  REQUIRE(messages.size() == 3);
  CHECK(messages[1]["role"] == "assistant");
  CHECK(messages[1]["content"].size() == 2);
  CHECK(messages[1]["content"][1] ==
        json{{"type", "tool_use"}, {"id", "toolu_b"}, {"name", "get_weather"}, {"input", {{"city", "Bergen"}}}});
  json results = messages[2];
  CHECK(results["role"] == "user");
  REQUIRE(results["content"].size() == 3);  // both results, then the user's text, in one turn
  CHECK(results["content"][0]["type"] == "tool_result");
  CHECK(results["content"][0]["tool_use_id"] == "toolu_a");
  CHECK(results["content"][1]["tool_use_id"] == "toolu_b");
  CHECK(results["content"][1]["content"][0]["text"] == "rain");
  CHECK(results["content"][2] == json{{"type", "text"}, {"text", "Thanks, and which is warmer?"}});
}

TEST_CASE("anthropic: a client's tools come back as tool_calls; tool_choice is mapped") {
  AnthropicFake fake;
  ChatRequest request = request_of(json::array({user("Look it up")}), false);
  request.tools = json::array({{{"type", "function"},
                                {"function", {{"name", "lookup"}, {"parameters", {{"type", "object"}}}}}}});
  std::vector<std::pair<json, json>> choices = {
      {"auto", {{"type", "auto"}}},
      {"required", {{"type", "any"}}},
      {"none", {{"type", "none"}}},
      {{{"type", "function"}, {"function", {{"name", "lookup"}}}}, {{"type", "tool"}, {"name", "lookup"}}}};
  size_t sent = 0;
  for (const auto& [choice, expected] : choices) {
    CAPTURE(choice.dump());
    request.tool_choice = choice;
    fake.upstream.enqueue(ScriptedResponse::json_body(
        200, message_object(json::array({{{"type", "tool_use"}, {"id", "toolu_x"}, {"name", "lookup"},
                                          {"input", {{"query", "weir"}}}}}),
                            "tool_use", {{"input_tokens", 5}, {"output_tokens", 5}})));
    auto completion = run_chat(config_for(fake.upstream), request).completion;
    CHECK(fake.body(sent++)["tool_choice"] == expected);
    CHECK(completion.finish_reason == "tool_calls");
    REQUIRE(completion.tool_calls.size() == 1);
    CHECK(completion.tool_calls[0].to_json() ==
          json{{"id", "toolu_x"}, {"type", "function"},
               {"function", {{"name", "lookup"}, {"arguments", "{\"query\":\"weir\"}"}}}});
  }
  request.tool_choice = "sometimes";
  auto error = expect_error([&] { run_chat(config_for(fake.upstream), request); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "tool_choice"));
  CHECK(fake.upstream.request_count() == sent);
}

TEST_CASE("anthropic: a tool with no parameters still gets JSON arguments") {
  AnthropicFake fake;
  fake.upstream.enqueue(stream_of({message_start(), tool_start(0, "toolu_t", "now"), block_stop(0),
                                   message_delta("tool_use", 4), message_stop()}));
  auto completion = run_chat(config_for(fake.upstream), request_of(json::array({user("Time?")}), true)).completion;
  REQUIRE(completion.tool_calls.size() == 1);
  CHECK(completion.tool_calls[0].arguments == "{}");
}

TEST_CASE("anthropic: images and a PDF part become image and document blocks") {
  AnthropicFake fake;
  fake.upstream.enqueue(text_stream("A cat and an invoice."));
  json parts = json::array(
      {{{"type", "text"}, {"text", "What are these?"}},
       {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBORw0KGgo="}}}},
       {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/cat.jpg"}, {"detail", "high"}}}},
       {{"type", "file"}, {"file", {{"filename", "invoice.pdf"}, {"file_data", "data:application/pdf;base64,JVBERi0x"}}}}});
  run_chat(config_for(fake.upstream), request_of(json::array({{{"role", "user"}, {"content", parts}}}), true));
  json expected = json::array(
      {{{"type", "text"}, {"text", "What are these?"}},
       {{"type", "image"}, {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", "iVBORw0KGgo="}}}},
       {{"type", "image"}, {"source", {{"type", "url"}, {"url", "https://example.com/cat.jpg"}}}},
       {{"type", "document"},
        {"source", {{"type", "base64"}, {"media_type", "application/pdf"}, {"data", "JVBERi0x"}}}}});
  CHECK(fake.body(0)["messages"][0]["content"] == expected);

  SUBCASE("a part Anthropic cannot take is a usage error before anything is sent") {
    std::vector<std::pair<json, std::string>> bad = {
        {{{"type", "input_audio"}, {"input_audio", {{"data", "AAAA"}, {"format", "wav"}}}}, "input_audio"},
        {{{"type", "image_url"}, {"image_url", {{"url", "ftp://example.com/cat.jpg"}}}}, "image_url"},
        {{{"type", "file"}, {"file", {{"file_data", "data:text/csv;base64,YSxi"}}}}, "text/csv"},
        {{{"type", "file"}, {"file", {{"file_id", "file-123"}}}}, "file_id"}};
    for (const auto& [part, named] : bad) {
      CAPTURE(part.dump());
      auto error = expect_error([&] {
        run_chat(config_for(fake.upstream),
                 request_of(json::array({{{"role", "user"}, {"content", json::array({part})}}}), true));
      });
      CHECK(error.kind() == ErrorKind::usage);
      CHECK(contains(error.what(), named));
    }
    CHECK(fake.upstream.request_count() == 1);
  }
}

TEST_CASE("anthropic: reasoning_effort turns thinking on; thinking deltas are reasoning") {
  AnthropicFake fake;
  ChatRequest request = request_of(json::array({user("Think: 17 * 23?")}), true);
  request.sampling.reasoning_effort = "medium";
  request.sampling.max_tokens = 1000;  // below the budget: raised to leave the answer its 1000
  fake.upstream.enqueue(stream_of(
      {message_start(), thinking_start(0), block_delta(0, {{"type", "thinking_delta"}, {"thinking", "17*20=340, "}}),
       block_delta(0, {{"type", "thinking_delta"}, {"thinking", "17*3=51."}}),
       block_delta(0, {{"type", "signature_delta"}, {"signature", "EqQBCgIYAhIM"}}), block_stop(0), text_start(1),
       text_delta(1, "391"), block_stop(1), message_delta("end_turn", 40), message_stop()}));
  auto outcome = run_chat(config_for(fake.upstream), request);
  CHECK(outcome.completion.reasoning == "17*20=340, 17*3=51.");
  CHECK(outcome.completion.content == "391");
  REQUIRE(outcome.deltas.size() >= 2);
  CHECK(outcome.deltas[0].reasoning == "17*20=340, ");
  CHECK(outcome.deltas[0].content.empty());
  json sent = fake.body(0);
  CHECK(sent["thinking"] == json{{"type", "enabled"}, {"budget_tokens", 4096}});
  CHECK(sent["max_tokens"] == 5096);

  SUBCASE("with thinking on, temperature, top_k, a low top_p and forced tool use are left out") {
    request.sampling.temperature = 0.2;
    request.sampling.top_k = 5;
    request.sampling.top_p = 0.5;
    request.tools = json::array({{{"type", "function"},
                                  {"function", {{"name", "calc"}, {"parameters", {{"type", "object"}}}}}}});
    request.tool_choice = "required";
    fake.upstream.enqueue(text_stream("391"));
    run_chat(config_for(fake.upstream), request);
    json thinking = fake.body(1);
    CHECK(thinking.contains("thinking"));
    CHECK_FALSE(thinking.contains("temperature"));
    CHECK_FALSE(thinking.contains("top_k"));
    CHECK_FALSE(thinking.contains("top_p"));
    CHECK(thinking["tool_choice"] == json{{"type", "auto"}});
    request.sampling.reasoning_effort = "none";
    fake.upstream.enqueue(text_stream("391"));
    run_chat(config_for(fake.upstream), request);
    CHECK(fake.body(2)["temperature"] == 0.2);
    CHECK(fake.body(2)["top_k"] == 5);
    CHECK(fake.body(2)["tool_choice"] == json{{"type", "any"}});
  }
  SUBCASE("none sends no thinking; high has the larger budget") {
    request.sampling.reasoning_effort = "none";
    fake.upstream.enqueue(text_stream("391"));
    run_chat(config_for(fake.upstream), request);
    CHECK_FALSE(fake.body(1).contains("thinking"));
    CHECK(fake.body(1)["max_tokens"] == 1000);
    request.sampling.reasoning_effort = "high";
    request.sampling.max_tokens = 32000;  // already above the budget: kept
    fake.upstream.enqueue(text_stream("391"));
    run_chat(config_for(fake.upstream), request);
    CHECK(fake.body(2)["thinking"]["budget_tokens"] == 16384);
    CHECK(fake.body(2)["max_tokens"] == 32000);
  }
}

TEST_CASE("anthropic: an error event before any output is retried; after output it fails naming the error") {
  SUBCASE("before output: another attempt") {
    AnthropicFake fake;
    fake.upstream.enqueue(stream_of({message_start(), error_event("overloaded_error", "Overloaded")}));
    fake.upstream.enqueue(text_stream("Second time lucky."));
    auto outcome = run_chat(config_for(fake.upstream), request_of(json::array({user("Hi")}), true));
    CHECK(outcome.completion.content == "Second time lucky.");
    CHECK(fake.upstream.request_count() == 2);
  }
  SUBCASE("before output, retries spent: the error names the type and message") {
    AnthropicFake fake;
    auto config = config_for(fake.upstream);
    config.max_retries = 0;
    fake.upstream.enqueue(stream_of({message_start(), error_event("overloaded_error", "Overloaded")}));
    auto error = expect_error([&] { run_chat(config, request_of(json::array({user("Hi")}), true)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "overloaded_error: Overloaded"));
  }
  SUBCASE("after output: no retry, the answer is incomplete") {
    AnthropicFake fake;
    fake.upstream.enqueue(stream_of({message_start(), text_start(0), text_delta(0, "Half an ans"),
                                     error_event("overloaded_error", "Overloaded")}));
    std::vector<StreamDelta> deltas;
    auto error = expect_error([&] {
      make_provider(config_for(fake.upstream))
          ->chat(request_of(json::array({user("Hi")}), true),
                 [&](const StreamDelta& delta) { deltas.push_back(delta); }, CancelToken());
    });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "overloaded_error: Overloaded"));
    CHECK(contains(error.what(), "incomplete"));
    CHECK(fake.upstream.request_count() == 1);
    REQUIRE(deltas.size() == 1);
    CHECK(deltas[0].content == "Half an ans");
  }
  SUBCASE("a stream cut off before a stop reason is an error") {
    AnthropicFake fake;
    auto config = config_for(fake.upstream);
    config.max_retries = 0;
    fake.upstream.enqueue(stream_of({message_start(), text_start(0), text_delta(0, "Cut")}));
    auto error = expect_error([&] { run_chat(config, request_of(json::array({user("Hi")}), true)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "incomplete"));
  }
}

TEST_CASE("anthropic: HTTP errors map to weir's error kinds") {
  SUBCASE("401 is authentication, naming the key variable") {
    AnthropicFake fake;
    fake.upstream.enqueue(
        ScriptedResponse::json_body(401, anthropic_error("authentication_error", "invalid x-api-key")));
    auto error = expect_error([&] { run_chat(config_for(fake.upstream), request_of(json::array({user("Hi")}), true)); });
    CHECK(error.kind() == ErrorKind::authentication);
    CHECK(contains(error.what(), "invalid x-api-key"));
    CHECK(contains(error.what(), kKeyVariable));
    CHECK(fake.upstream.request_count() == 1);
  }
  SUBCASE("429 is retried, then rate_limited") {
    AnthropicFake fake;
    for (int attempt = 0; attempt < 3; ++attempt)
      fake.upstream.enqueue(ScriptedResponse::json_body(
          429, anthropic_error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
          {{"retry-after", "0"}}));
    auto error = expect_error([&] { run_chat(config_for(fake.upstream), request_of(json::array({user("Hi")}), true)); });
    CHECK(error.kind() == ErrorKind::rate_limited);
    CHECK(contains(error.what(), "per-minute rate limit"));
    CHECK(fake.upstream.request_count() == 3);
  }
  SUBCASE("529 overloaded is retried and may then succeed") {
    AnthropicFake fake;
    fake.upstream.enqueue(ScriptedResponse::json_body(529, anthropic_error("overloaded_error", "Overloaded"),
                                                      {{"retry-after", "0"}}));
    fake.upstream.enqueue(text_stream("Here."));
    auto outcome = run_chat(config_for(fake.upstream), request_of(json::array({user("Hi")}), true));
    CHECK(outcome.completion.content == "Here.");
    CHECK(fake.upstream.request_count() == 2);
  }
  SUBCASE("529 until the retries are spent is a rate limit (overload is the service's capacity)") {
    AnthropicFake fake;
    auto config = config_for(fake.upstream);
    config.max_retries = 1;
    for (int attempt = 0; attempt < 2; ++attempt)
      fake.upstream.enqueue(ScriptedResponse::json_body(529, anthropic_error("overloaded_error", "Overloaded"),
                                                        {{"retry-after", "0"}}));
    auto error = expect_error([&] { run_chat(config, request_of(json::array({user("Hi")}), true)); });
    CHECK(error.kind() == ErrorKind::rate_limited);
    CHECK(contains(error.what(), "529"));
    CHECK(contains(error.what(), "Overloaded"));
  }
  SUBCASE("400 prompt too long is a usage error with the upstream's message") {
    AnthropicFake fake;
    fake.upstream.enqueue(ScriptedResponse::json_body(
        400, anthropic_error("invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum")));
    auto error = expect_error([&] { run_chat(config_for(fake.upstream), request_of(json::array({user("Hi")}), true)); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(error.code() == "context_length_exceeded");
    CHECK(contains(error.what(), "prompt is too long: 208310 tokens > 200000 maximum"));
    CHECK(fake.upstream.request_count() == 1);
  }
  SUBCASE("another 400 stays an upstream rejection") {
    AnthropicFake fake;
    fake.upstream.enqueue(ScriptedResponse::json_body(
        400, anthropic_error("invalid_request_error", "messages: roles must alternate")));
    auto error = expect_error([&] { run_chat(config_for(fake.upstream), request_of(json::array({user("Hi")}), true)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "roles must alternate"));
  }
}

TEST_CASE("anthropic: a missing key fails before anything is sent") {
  FakeUpstream upstream;
  upstream.answer_posts_matching("/v1/messages");
  unsetenv(kKeyVariable);
  auto error = expect_error([&] { run_chat(config_for(upstream), request_of(json::array({user("Hi")}), true)); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(upstream.request_count() == 0);
}

TEST_CASE("anthropic: describe_request shows the request with the key as a placeholder") {
  FakeUpstream upstream;
  unsetenv(kKeyVariable);  // never resolved: works without it
  auto config = config_for(upstream);
  config.headers = {{"anthropic-beta", "x"}, {"x-custom-token", "literal-secret"}};
  auto request = request_of(json::array({{{"role", "system"}, {"content", "Short."}}, user("Hi")}), true);
  json described = make_provider(config)->describe_request(request);
  CHECK(described["method"] == "POST");
  CHECK(described["url"] == upstream.base_url() + "/messages");
  json expected_headers = {{"content-type", "application/json"},
                           {"accept", "text/event-stream"},
                           {"anthropic-version", "2023-06-01"},
                           {"x-api-key", std::string("$") + kKeyVariable},
                           {"anthropic-beta", "x"},
                           {"x-custom-token", "****"}};
  CHECK(described["headers"] == expected_headers);
  CHECK(described["body"]["system"] == "Short.");
  CHECK(described["body"]["max_tokens"] == 4096);
  CHECK(described["body"]["messages"].size() == 1);
  CHECK_FALSE(contains(described.dump(), "literal-secret"));
  CHECK(upstream.request_count() == 0);
}

TEST_CASE("anthropic: models lists every page of GET /models; embeddings are a usage error") {
  AnthropicFake fake;
  auto config = config_for(fake.upstream);
  config.base_url = fake.upstream.root_url() + "/anthropic/v1";
  // The fake answers every page alike: a page that says "more" but ends where
  // the last one did must end the listing instead of looping.
  fake.upstream.answer_get("/anthropic/v1/models",
                           {{"data", json::array({{{"type", "model"}, {"id", "claude-b"}, {"display_name", "B"}},
                                                  {{"type", "model"}, {"id", "claude-a"}, {"display_name", "A"}}})},
                            {"has_more", true},
                            {"first_id", "claude-b"},
                            {"last_id", "claude-a"}});
  auto provider = make_provider(config);
  CHECK(provider->models(CancelToken()) == std::vector<std::string>{"claude-a", "claude-b"});
  auto requests = fake.upstream.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].header("x-api-key") == "sk-ant-test-secret");
  CHECK(requests[0].header("anthropic-version") == "2023-06-01");
  CHECK(requests[0].query.at("limit") == "1000");
  CHECK(requests[0].query.count("after_id") == 0);
  CHECK(requests[1].query.at("after_id") == "claude-a");

  auto error = expect_error([&] { provider->embeddings("claude-a", {"text"}, CancelToken()); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "embeddings"));
  CHECK_FALSE(provider->capabilities().embeddings);
  CHECK(provider->capabilities().file_input);
  CHECK(provider->capabilities().image_input);
  CHECK(provider->capabilities().reasoning);
  CHECK_FALSE(provider->capabilities().json_schema);
}

TEST_CASE("anthropic: answers of the wrong shape are upstream errors") {
  AnthropicFake fake;
  auto config = config_for(fake.upstream);
  config.max_retries = 0;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, {{"id", "x"}, {"type", "message"}, {"content", "text"}}));
  auto error = expect_error([&] { run_chat(config, request_of(json::array({user("Hi")}), false)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "content"));

  fake.upstream.enqueue(stream_of({message_start(), json_delta(0, "{}")}));
  error = expect_error([&] { run_chat(config, request_of(json::array({user("Hi")}), true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "input_json_delta"));

  fake.upstream.enqueue(stream_of({"event: message_start\ndata: {not json\n\n"}));
  error = expect_error([&] { run_chat(config, request_of(json::array({user("Hi")}), true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "malformed"));
}
