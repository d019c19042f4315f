// The gemini adapter against the fake upstream speaking the Generative
// Language API (v1beta): request bodies, streamed and whole answers, tools,
// content parts, usage, errors, model listing and embeddings.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/provider/gemini_schema.hpp"
#include "core/provider/provider.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::FakeUpstream;
using weir::testing::ScriptedResponse;

namespace {

constexpr const char* kKeyVariable = "WEIR_GEMINI_TEST_KEY";
constexpr const char* kKey = "gemini-secret-key-123";
const std::string kChatPaths = "/v1beta/models/[^/]+:(generateContent|streamGenerateContent)";

struct GeminiFake {
  FakeUpstream upstream;
  GeminiFake() {
    upstream.answer_posts_matching(kChatPaths);
    upstream.answer_posts_matching("/v1beta/models/[^/]+:batchEmbedContents");
    setenv(kKeyVariable, kKey, 1);
  }
  ProviderConfig config() const {
    ProviderConfig config;
    config.name = "gem";
    config.kind = ProviderKind::gemini;
    config.base_url = upstream.root_url() + "/v1beta";
    config.api_key_env = kKeyVariable;
    config.connect_timeout_ms = 2000;
    config.idle_timeout_ms = 5000;
    config.max_retries = 2;
    return config;
  }
};

json text_part(const std::string& text) { return {{"text", text}}; }
json thought_part(const std::string& text) { return {{"text", text}, {"thought", true}}; }
json call_part(const std::string& name, const json& args) { return {{"functionCall", {{"name", name}, {"args", args}}}}; }

// One GenerateContentResponse: a candidate with `parts` (and a finishReason
// unless empty), usageMetadata when given.
json response_of(const json& parts, const std::string& finish = "", const json& usage = nullptr) {
  json candidate = {{"content", {{"role", "model"}, {"parts", parts}}}, {"index", 0}};
  if (!finish.empty()) candidate["finishReason"] = finish;
  json response = {{"candidates", json::array({candidate})}, {"modelVersion", "gemini-test-001"},
                   {"responseId", "resp-1"}};
  if (!usage.is_null()) response["usageMetadata"] = usage;
  return response;
}

json usage_of(int prompt, int candidates, int cached = 0, int thoughts = 0) {
  json usage = {{"promptTokenCount", prompt}, {"candidatesTokenCount", candidates},
                {"totalTokenCount", prompt + candidates + thoughts}};
  if (cached > 0) usage["cachedContentTokenCount"] = cached;
  if (thoughts > 0) usage["thoughtsTokenCount"] = thoughts;
  return usage;
}

ScriptedResponse stream_of(const std::vector<json>& chunks) {
  std::vector<std::string> payloads;
  for (const auto& chunk : chunks) payloads.push_back(chunk.dump());
  return ScriptedResponse::sse(payloads);
}

json google_error(int code, const std::string& status, const std::string& message, const json& details = nullptr) {
  json error = {{"code", code}, {"message", message}, {"status", status}};
  if (!details.is_null()) error["details"] = details;
  return {{"error", error}};
}

ChatRequest request_of(json messages, bool stream) {
  ChatRequest request;
  request.model = "gemini-test";
  request.messages = std::move(messages);
  request.stream = stream;
  return request;
}

ChatRequest hello(bool stream) { return request_of(json::array({{{"role", "user"}, {"content", "Hi"}}}), stream); }

struct Outcome {
  Completion completion;
  std::vector<StreamDelta> deltas;
};

Outcome run_chat(Provider& provider, const ChatRequest& request) {
  Outcome outcome;
  outcome.completion =
      provider.chat(request, [&](const StreamDelta& delta) { outcome.deltas.push_back(delta); }, CancelToken());
  return outcome;
}

Outcome run_chat(const ProviderConfig& config, const ChatRequest& request) {
  auto provider = make_provider(config);
  return run_chat(*provider, request);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("gemini: a non-streamed request goes to generateContent with the translated body") {
  GeminiFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("Blue.")}), "STOP")));
  ChatRequest request = request_of(json::array({{{"role", "system"}, {"content", "Be brief."}},
                                                {{"role", "developer"}, {"content", "Use British spelling."}},
                                                {{"role", "user"}, {"content", "Name a colour."}},
                                                {{"role", "user"}, {"content", "Just one."}},
                                                {{"role", "assistant"}, {"content", "Grey."}},
                                                {{"role", "user"}, {"content", "Another."}}}),
                                   false);
  request.sampling.temperature = 0.2;
  request.sampling.top_p = 0.9;
  request.sampling.top_k = 40;
  request.sampling.max_tokens = 64;
  request.sampling.stop = {"\n\n"};
  request.sampling.seed = 7;
  request.sampling.presence_penalty = 0.5;
  request.sampling.frequency_penalty = 0.25;
  json schema = {{"type", "object"}, {"properties", {{"colour", {{"type", "string"}}}}}, {"required", {"colour"}}};
  request.response_format = {{"type", "json_schema"}, {"json_schema", {{"name", "c"}, {"schema", schema}}}};

  auto outcome = run_chat(fake.config(), request);
  CHECK(outcome.completion.content == "Blue.");
  REQUIRE(fake.upstream.request_count() == 1);
  auto sent = fake.upstream.requests().at(0);
  CHECK(sent.method == "POST");
  CHECK(sent.path == "/v1beta/models/gemini-test:generateContent");
  CHECK(sent.query.empty());
  CHECK(sent.header("x-goog-api-key") == kKey);
  CHECK(sent.header("Authorization").empty());
  CHECK(sent.header("Content-Type") == "application/json");
  CHECK(sent.json_body ==
        json{{"systemInstruction", {{"parts", json::array({text_part("Be brief."), text_part("Use British spelling.")})}}},
             {"contents", json::array({{{"role", "user"}, {"parts", json::array({text_part("Name a colour."),
                                                                                  text_part("Just one.")})}},
                                       {{"role", "model"}, {"parts", json::array({text_part("Grey.")})}},
                                       {{"role", "user"}, {"parts", json::array({text_part("Another.")})}}})},
             {"generationConfig",
              {{"temperature", 0.2},
               {"topP", 0.9},
               {"topK", 40},
               {"maxOutputTokens", 64},
               {"stopSequences", json::array({"\n\n"})},
               {"seed", 7},
               {"presencePenalty", 0.5},
               {"frequencyPenalty", 0.25},
               {"responseMimeType", "application/json"},
               {"responseSchema",
                {{"type", "OBJECT"},
                 {"properties", {{"colour", {{"type", "STRING"}}}}},
                 {"required", {"colour"}}}}}}});
}

TEST_CASE("gemini: json_object and reasoning_effort map to generationConfig") {
  GeminiFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("{}")}), "STOP")));
  ChatRequest request = hello(false);
  request.response_format = {{"type", "json_object"}};
  request.sampling.reasoning_effort = "low";
  run_chat(fake.config(), request);
  auto config = fake.upstream.requests().at(0).json_body["generationConfig"];
  CHECK(config == json{{"responseMimeType", "application/json"},
                       {"thinkingConfig", {{"thinkingBudget", 1024}, {"includeThoughts", true}}}});

  request.sampling.reasoning_effort = "none";
  request.response_format = nullptr;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("ok")}), "STOP")));
  run_chat(fake.config(), request);
  CHECK(fake.upstream.requests().at(1).json_body["generationConfig"] ==
        json{{"thinkingConfig", {{"thinkingBudget", 0}, {"includeThoughts", false}}}});
}

TEST_CASE("gemini: a streamed request asks streamGenerateContent with alt=sse, after the base URL's query") {
  GeminiFake fake;
  auto answer = [] { return stream_of({response_of(json::array({text_part("Hi")}), "STOP", usage_of(3, 1))}); };
  SUBCASE("plain base URL") {
    fake.upstream.enqueue(answer());
    run_chat(fake.config(), hello(true));
    auto sent = fake.upstream.requests().at(0);
    CHECK(sent.path == "/v1beta/models/gemini-test:streamGenerateContent");
    CHECK(sent.query == std::map<std::string, std::string>{{"alt", "sse"}});
    CHECK(sent.header("Accept") == "text/event-stream");
  }
  SUBCASE("a base URL with a query keeps it") {
    fake.upstream.enqueue(answer());
    auto config = fake.config();
    config.base_url += "?project=p1";
    run_chat(config, hello(true));
    auto sent = fake.upstream.requests().at(0);
    CHECK(sent.path == "/v1beta/models/gemini-test:streamGenerateContent");
    CHECK(sent.query == std::map<std::string, std::string>{{"project", "p1"}, {"alt", "sse"}});
  }
}

TEST_CASE("gemini: a stream is delivered chunk by chunk with thoughts as reasoning and usage at the finish") {
  GeminiFake fake;
  fake.upstream.enqueue(stream_of({
      response_of(json::array({thought_part("Sky is ")}), "", usage_of(12, 0)),
      response_of(json::array({thought_part("blue."), text_part("Bl")}), "", usage_of(12, 1)),
      response_of(json::array({text_part("ue.")}), "STOP", usage_of(12, 3, 4, 2)),
  }));
  auto outcome = run_chat(fake.config(), hello(true));
  REQUIRE(outcome.deltas.size() == 3);
  CHECK(outcome.deltas[0].reasoning == "Sky is ");
  CHECK(outcome.deltas[1].reasoning == "blue.");
  CHECK(outcome.deltas[1].content == "Bl");
  CHECK_FALSE(outcome.deltas[1].usage.has_value());
  CHECK(outcome.deltas[2].content == "ue.");
  CHECK(outcome.deltas[2].finish_reason == "stop");
  const Completion& completion = outcome.completion;
  CHECK(completion.content == "Blue.");
  CHECK(completion.reasoning == "Sky is blue.");
  CHECK(completion.finish_reason == "stop");
  CHECK(completion.id == "resp-1");
  CHECK(completion.model == "gemini-test-001");
  REQUIRE(completion.usage.has_value());
  CHECK(completion.usage->prompt_tokens == 12);
  CHECK(completion.usage->completion_tokens == 5);  // 3 candidates + 2 thoughts
  CHECK(completion.usage->cached_tokens == 4);
  CHECK(completion.usage->reasoning_tokens == 2);
}

TEST_CASE("gemini: a non-streamed answer arrives as one delta") {
  GeminiFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(
      200, response_of(json::array({thought_part("Think."), text_part("Done.")}), "MAX_TOKENS", usage_of(5, 2, 0, 1))));
  auto outcome = run_chat(fake.config(), hello(false));
  REQUIRE(outcome.deltas.size() == 1);
  CHECK(outcome.completion.content == "Done.");
  CHECK(outcome.completion.reasoning == "Think.");
  CHECK(outcome.completion.finish_reason == "length");
  REQUIRE(outcome.completion.usage.has_value());
  CHECK(outcome.completion.usage->completion_tokens == 3);
  CHECK(outcome.completion.usage->reasoning_tokens == 1);
}

TEST_CASE("gemini: tools and tool_choice are sent as functionDeclarations and functionCallingConfig") {
  GeminiFake fake;
  json parameters = {{"$schema", "http://json-schema.org/draft-07/schema#"},
                     {"type", "object"},
                     {"additionalProperties", false},
                     {"properties",
                      {{"city", {{"type", "string"}, {"description", "City name"}}},
                       {"unit", {{"type", json::array({"string", "null"})}, {"enum", {"c", "f"}}}},
                       {"days", {{"$ref", "#/$defs/count"}}}}},
                     {"required", {"city", "missing"}},
                     {"$defs", {{"count", {{"type", "integer"}, {"minimum", 1}}}}}};
  ChatRequest request = hello(false);
  request.tools = json::array(
      {{{"type", "function"},
        {"function", {{"name", "weather"}, {"description", "Look up weather"}, {"parameters", parameters}}}},
       {{"type", "function"},
        {"function", {{"name", "now"}, {"parameters", {{"type", "object"}, {"properties", json::object()}}}}}}});
  json expected_tools = json::array(
      {{{"functionDeclarations",
         json::array({{{"name", "weather"},
                       {"description", "Look up weather"},
                       {"parameters",
                        {{"type", "OBJECT"},
                         {"properties",
                          {{"city", {{"type", "STRING"}, {"description", "City name"}}},
                           {"unit", {{"type", "STRING"}, {"nullable", true}, {"enum", {"c", "f"}}}},
                           {"days", {{"type", "INTEGER"}, {"minimum", 1}}}}},
                         {"required", {"city"}}}}},
                      {{"name", "now"}}})}}});
  SUBCASE("auto") {
    request.tool_choice = "auto";
    fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("ok")}), "STOP")));
    run_chat(fake.config(), request);
    auto body = fake.upstream.requests().at(0).json_body;
    CHECK(body["tools"] == expected_tools);
    CHECK(body["toolConfig"] == json{{"functionCallingConfig", {{"mode", "AUTO"}}}});
  }
  SUBCASE("required") {
    request.tool_choice = "required";
    fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("ok")}), "STOP")));
    run_chat(fake.config(), request);
    CHECK(fake.upstream.requests().at(0).json_body["toolConfig"] == json{{"functionCallingConfig", {{"mode", "ANY"}}}});
  }
  SUBCASE("a named function") {
    request.tool_choice = {{"type", "function"}, {"function", {{"name", "weather"}}}};
    fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("ok")}), "STOP")));
    run_chat(fake.config(), request);
    CHECK(fake.upstream.requests().at(0).json_body["toolConfig"] ==
          json{{"functionCallingConfig", {{"mode", "ANY"}, {"allowedFunctionNames", {"weather"}}}}});
  }
  SUBCASE("none") {
    request.tool_choice = "none";
    fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("ok")}), "STOP")));
    run_chat(fake.config(), request);
    CHECK(fake.upstream.requests().at(0).json_body["toolConfig"] ==
          json{{"functionCallingConfig", {{"mode", "NONE"}}}});
  }
}

TEST_CASE("gemini: a tool round trip: functionCall -> tool_calls -> functionResponse with the call's name") {
  GeminiFake fake;
  auto provider = make_provider(fake.config());
  ChatRequest request = hello(true);
  request.tools = json::array({{{"type", "function"}, {"function", {{"name", "weather"}}}}});
  json call = call_part("weather", {{"city", "Oslo"}});
  call["thoughtSignature"] = "c2lnbmF0dXJl";
  fake.upstream.enqueue(stream_of({response_of(json::array({call}), "STOP", usage_of(8, 4))}));
  auto first = run_chat(*provider, request);
  REQUIRE(first.completion.tool_calls.size() == 1);
  CHECK(first.completion.tool_calls[0].id == "call_0");
  CHECK(first.completion.tool_calls[0].name == "weather");
  CHECK(json::parse(first.completion.tool_calls[0].arguments) == json{{"city", "Oslo"}});
  CHECK(first.completion.finish_reason == "tool_calls");

  request.messages.push_back(first.completion.assistant_message());
  request.messages.push_back({{"role", "tool"}, {"tool_call_id", "call_0"}, {"content", "{\"temp\": 3}"}});
  fake.upstream.enqueue(stream_of({response_of(json::array({text_part("3 degrees.")}), "STOP")}));
  auto second = run_chat(*provider, request);
  CHECK(second.completion.content == "3 degrees.");
  auto body = fake.upstream.requests().at(1).json_body;
  REQUIRE(body["contents"].size() == 3);
  json sent_call = call_part("weather", {{"city", "Oslo"}});
  sent_call["thoughtSignature"] = "c2lnbmF0dXJl";  // sent back on the call it came with
  CHECK(body["contents"][1] == json{{"role", "model"}, {"parts", json::array({sent_call})}});
  CHECK(body["contents"][2] ==
        json{{"role", "user"},
             {"parts", json::array({{{"functionResponse", {{"name", "weather"}, {"response", {{"temp", 3}}}}}}})}});
}

TEST_CASE("gemini: parallel calls become several tool_calls; their results share one user turn") {
  GeminiFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(
      200, response_of(json::array({text_part("Checking."), call_part("weather", {{"city", "Oslo"}}),
                                    call_part("weather", {{"city", "Rome"}}), call_part("time", json::object())}),
                       "STOP")));
  auto outcome = run_chat(fake.config(), hello(false));
  const auto& calls = outcome.completion.tool_calls;
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].id == "call_0");
  CHECK(calls[1].id == "call_1");
  CHECK(calls[2].id == "call_2");
  CHECK(json::parse(calls[1].arguments) == json{{"city", "Rome"}});
  CHECK(calls[2].name == "time");
  CHECK(outcome.completion.content == "Checking.");
  CHECK(outcome.completion.finish_reason == "tool_calls");

  // A client sends the results back (its own conversation, a new adapter).
  json messages = json::array({{{"role", "user"}, {"content", "Hi"}}, outcome.completion.assistant_message(),
                               {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}},
                               {{"role", "tool"}, {"tool_call_id", "call_0"}, {"content", "[1, 2]"}},
                               {{"role", "tool"}, {"tool_call_id", "call_2"}, {"content", "{\"hour\": 9}"}}});
  fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("Done.")}), "STOP")));
  run_chat(fake.config(), request_of(messages, false));
  auto contents = fake.upstream.requests().at(1).json_body["contents"];
  REQUIRE(contents.size() == 3);
  CHECK(contents[1]["role"] == "model");
  CHECK(contents[1]["parts"].size() == 4);
  CHECK(contents[2] ==
        json{{"role", "user"},
             {"parts", json::array({{{"functionResponse", {{"name", "weather"}, {"response", {{"content", "sunny"}}}}}},
                                    {{"functionResponse", {{"name", "weather"}, {"response", {{"content", {1, 2}}}}}}},
                                    {{"functionResponse", {{"name", "time"}, {"response", {{"hour", 9}}}}}}})}});
}

TEST_CASE("gemini: a tool message whose call no assistant made is a usage error") {
  GeminiFake fake;
  json messages = json::array({{{"role", "user"}, {"content", "Hi"}},
                               {{"role", "tool"}, {"tool_call_id", "call_9"}, {"content", "x"}}});
  auto error = expect_error([&] { run_chat(fake.config(), request_of(messages, false)); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "call_9"));
  CHECK(fake.upstream.request_count() == 0);
}

TEST_CASE("gemini: a trailing assistant message is sent as the last model turn (prefill)") {
  GeminiFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part(" blue.")}), "STOP")));
  json messages = json::array({{{"role", "user"}, {"content", "Sky colour?"}},
                               {{"role", "assistant"}, {"content", "The sky is"}}});
  auto outcome = run_chat(fake.config(), request_of(messages, false));
  CHECK(outcome.completion.content == " blue.");
  auto contents = fake.upstream.requests().at(0).json_body["contents"];
  REQUIRE(contents.size() == 2);
  CHECK(contents.back() == json{{"role", "model"}, {"parts", json::array({text_part("The sky is")})}});
}

TEST_CASE("gemini: image, audio and file parts become inlineData and fileData") {
  GeminiFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, response_of(json::array({text_part("Seen.")}), "STOP")));
  json content = json::array({
      {{"type", "text"}, {"text", "Describe these."}},
      {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBORw0K"}}}},
      {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/cat.JPG?size=large"}}}},
      {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/picture"}}}},
      {{"type", "input_audio"}, {"input_audio", {{"data", "UklGRg=="}, {"format", "wav"}}}},
      {{"type", "input_audio"}, {"input_audio", {{"data", "SUQz"}, {"format", "mp3"}}}},
      {{"type", "file"}, {"file", {{"filename", "a.pdf"}, {"file_data", "data:application/pdf;base64,JVBERi0x"}}}},
  });
  run_chat(fake.config(), request_of(json::array({{{"role", "user"}, {"content", content}}}), false));
  auto parts = fake.upstream.requests().at(0).json_body["contents"][0]["parts"];
  CHECK(parts == json::array({
                     text_part("Describe these."),
                     {{"inlineData", {{"mimeType", "image/png"}, {"data", "iVBORw0K"}}}},
                     {{"fileData", {{"mimeType", "image/jpeg"}, {"fileUri", "https://example.com/cat.JPG?size=large"}}}},
                     {{"fileData", {{"mimeType", "image/*"}, {"fileUri", "https://example.com/picture"}}}},
                     {{"inlineData", {{"mimeType", "audio/wav"}, {"data", "UklGRg=="}}}},
                     {{"inlineData", {{"mimeType", "audio/mp3"}, {"data", "SUQz"}}}},
                     {{"inlineData", {{"mimeType", "application/pdf"}, {"data", "JVBERi0x"}}}},
                 }));
  auto capabilities = make_provider(fake.config())->capabilities();
  CHECK(capabilities.image_input);
  CHECK(capabilities.audio_input);
  CHECK(capabilities.file_input);
  CHECK(capabilities.json_schema);
  CHECK(capabilities.embeddings);
  CHECK(capabilities.reasoning);
  CHECK(capabilities.prefill);

  json by_id = json::array({{{"type", "file"}, {"file", {{"file_id", "file-123"}}}}});
  auto error = expect_error([&] { run_chat(fake.config(), request_of(json::array({{{"role", "user"}, {"content", by_id}}}), false)); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "file_data"));
}

TEST_CASE("gemini: a stream that fails midway is an upstream error") {
  GeminiFake fake;
  auto config = fake.config();
  config.max_retries = 0;
  SUBCASE("an error object in the stream") {
    fake.upstream.enqueue(stream_of({response_of(json::array({text_part("Par")})),
                                     google_error(500, "INTERNAL", "An internal error has occurred.")}));
    std::vector<StreamDelta> deltas;
    auto error = expect_error([&] {
      make_provider(config)->chat(hello(true), [&](const StreamDelta& delta) { deltas.push_back(delta); }, CancelToken());
    });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "An internal error has occurred."));
    CHECK(contains(error.what(), "INTERNAL"));
    REQUIRE(deltas.size() == 1);
    CHECK(deltas[0].content == "Par");
  }
  SUBCASE("the stream ends before a finishReason") {
    fake.upstream.enqueue(stream_of({response_of(json::array({text_part("Par")}))}));
    auto error = expect_error([&] { run_chat(config, hello(true)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "before a finishReason"));
  }
  SUBCASE("a 200 that is not a GenerateContentResponse") {
    fake.upstream.enqueue(ScriptedResponse::json_body(200, {{"choices", json::array()}}));
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "not a GenerateContentResponse"));
  }
}

TEST_CASE("gemini: each error class maps to its weir error") {
  GeminiFake fake;
  auto config = fake.config();
  config.max_retries = 0;
  SUBCASE("400 API_KEY_INVALID is authentication") {
    fake.upstream.enqueue(ScriptedResponse::json_body(
        400, google_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                          json::array({{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                        {"reason", "API_KEY_INVALID"},
                                        {"domain", "googleapis.com"}}}))));
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::authentication);
    CHECK(contains(error.what(), "API key not valid"));
    CHECK(contains(error.what(), kKeyVariable));
  }
  SUBCASE("403 PERMISSION_DENIED is authentication") {
    fake.upstream.enqueue(ScriptedResponse::json_body(
        403, google_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.")));
    auto error = expect_error([&] { run_chat(config, hello(true)); });
    CHECK(error.kind() == ErrorKind::authentication);
    CHECK(contains(error.what(), "unregistered callers"));
  }
  SUBCASE("429 RESOURCE_EXHAUSTED is rate_limited, retried first") {
    config.max_retries = 1;
    auto limited = ScriptedResponse::json_body(
        429, google_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
        {{"Retry-After", "0"}});
    fake.upstream.enqueue(limited);
    fake.upstream.enqueue(limited);
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::rate_limited);
    CHECK(contains(error.what(), "Resource has been exhausted"));
    CHECK(fake.upstream.request_count() == 2);
  }
  SUBCASE("503 UNAVAILABLE is retried and can succeed") {
    config.max_retries = 1;
    fake.upstream.enqueue(ScriptedResponse::json_body(
        503, google_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), {{"Retry-After", "0"}}));
    fake.upstream.enqueue(stream_of({response_of(json::array({text_part("Back.")}), "STOP")}));
    auto outcome = run_chat(config, hello(true));
    CHECK(outcome.completion.content == "Back.");
    CHECK(fake.upstream.request_count() == 2);
  }
  SUBCASE("500 INTERNAL after the retries is upstream") {
    fake.upstream.enqueue(ScriptedResponse::json_body(500, google_error(500, "INTERNAL", "Internal error encountered.")));
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "Internal error encountered."));
  }
  SUBCASE("400 input too long is usage with the upstream's message") {
    fake.upstream.enqueue(ScriptedResponse::json_body(
        400, google_error(400, "INVALID_ARGUMENT",
                          "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).")));
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(contains(error.what(), "exceeds the maximum number of tokens allowed (1048576)"));
  }
  SUBCASE("another 400 is upstream, not usage or authentication") {
    fake.upstream.enqueue(ScriptedResponse::json_body(
        400, google_error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified")));
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "contents is not specified"));
  }
  SUBCASE("404 names the model") {
    fake.upstream.enqueue(ScriptedResponse::json_body(
        404, google_error(404, "NOT_FOUND", "models/gemini-test is not found for API version v1beta")));
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "gemini-test"));
  }
  SUBCASE("a missing key costs no request") {
    unsetenv(kKeyVariable);
    auto error = expect_error([&] { run_chat(config, hello(false)); });
    CHECK(error.kind() == ErrorKind::authentication);
    CHECK(fake.upstream.request_count() == 0);
  }
}

TEST_CASE("gemini: safety finishes and blocked prompts are content filtering, not upstream failures") {
  GeminiFake fake;
  SUBCASE("a SAFETY finish mid-answer") {
    fake.upstream.enqueue(stream_of({response_of(json::array({text_part("Here is")})),
                                     response_of(json::array(), "SAFETY", usage_of(4, 2))}));
    auto outcome = run_chat(fake.config(), hello(true));
    CHECK(outcome.completion.content == "Here is");
    CHECK(outcome.completion.finish_reason == "content_filter");
  }
  SUBCASE("RECITATION without content") {
    json response = {{"candidates", json::array({{{"finishReason", "RECITATION"}, {"index", 0}}})}};
    fake.upstream.enqueue(ScriptedResponse::json_body(200, response));
    auto outcome = run_chat(fake.config(), hello(false));
    CHECK(outcome.completion.content.empty());
    CHECK(outcome.completion.finish_reason == "content_filter");
  }
  SUBCASE("a blocked prompt") {
    json blocked = {{"promptFeedback", {{"blockReason", "SAFETY"}, {"safetyRatings", json::array()}}},
                    {"usageMetadata", usage_of(9, 0)}};
    bool stream = false;
    SUBCASE("whole") { fake.upstream.enqueue(ScriptedResponse::json_body(200, blocked)); }
    SUBCASE("streamed") {
      stream = true;
      fake.upstream.enqueue(stream_of({blocked}));
    }
    auto error = expect_error([&] { run_chat(fake.config(), hello(stream)); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(error.code() == "content_filter");
    CHECK(contains(error.what(), "blocked the prompt (blockReason SAFETY)"));
    CHECK(fake.upstream.request_count() == 1);  // not retried: it is not a failure
  }
}

TEST_CASE("gemini: describe_request shows the key's source, never the key") {
  GeminiFake fake;
  auto config = fake.config();
  config.headers = {{"X-Goog-User-Project", "proj"}};
  json described = make_provider(config)->describe_request(hello(true));
  CHECK(described["method"] == "POST");
  CHECK(described["url"] == fake.upstream.root_url() + "/v1beta/models/gemini-test:streamGenerateContent?alt=sse");
  CHECK(described["headers"]["x-goog-api-key"] == std::string("$") + kKeyVariable);
  CHECK(described["headers"]["X-Goog-User-Project"] == "proj");
  CHECK(described["body"]["contents"] == json::array({{{"role", "user"}, {"parts", json::array({text_part("Hi")})}}}));
  CHECK_FALSE(contains(described.dump(), kKey));

  config.base_url += "?key=literal-secret";
  described = make_provider(config)->describe_request(hello(false));
  CHECK_FALSE(contains(described.dump(), "literal-secret"));
  CHECK(fake.upstream.request_count() == 0);
}

TEST_CASE("gemini: models() follows nextPageToken and drops the models/ prefix") {
  GeminiFake fake;
  fake.upstream.answer_get("/v1beta/models",
                           {{"models", json::array({{{"name", "models/gemini-2.5-pro"}, {"displayName", "Pro"}},
                                                    {{"name", "models/text-embedding-004"}}})},
                            {"nextPageToken", "page/2+"}});
  fake.upstream.answer_get("/v1beta/models?pageSize=1000&pageToken=page%2F2%2B",
                           {{"models", json::array({{{"name", "models/gemini-2.5-flash"}}})}});
  auto models = make_provider(fake.config())->models(CancelToken());
  CHECK(models == std::vector<std::string>{"gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004"});
  auto requests = fake.upstream.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("x-goog-api-key") == kKey);
  CHECK(requests[1].query.at("pageToken") == "page/2+");
}

TEST_CASE("gemini: embeddings use batchEmbedContents in batches of 100, in input order") {
  GeminiFake fake;
  std::vector<std::string> inputs;
  for (int number = 0; number < 230; ++number) inputs.push_back("text " + std::to_string(number));
  for (size_t start = 0; start < inputs.size(); start += 100) {
    json embeddings = json::array();
    for (size_t position = start; position < std::min(inputs.size(), start + 100); ++position)
      embeddings.push_back({{"values", {static_cast<double>(position), 1.0}}});
    fake.upstream.enqueue(ScriptedResponse::json_body(200, {{"embeddings", embeddings}}));
  }
  auto vectors = make_provider(fake.config())->embeddings("text-embedding-004", inputs, CancelToken());
  REQUIRE(vectors.size() == 230);
  for (size_t position = 0; position < vectors.size(); ++position)
    CHECK(vectors[position] == std::vector<float>{static_cast<float>(position), 1.0F});
  auto requests = fake.upstream.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].path == "/v1beta/models/text-embedding-004:batchEmbedContents");
  CHECK(requests[0].json_body["requests"].size() == 100);
  CHECK(requests[2].json_body["requests"].size() == 30);
  CHECK(requests[1].json_body["requests"][0] ==
        json{{"model", "models/text-embedding-004"}, {"content", {{"parts", json::array({text_part("text 100")})}}}});

  fake.upstream.enqueue(ScriptedResponse::json_body(200, {{"embeddings", json::array({{{"values", {1.0}}}})}}));
  auto error = expect_error([&] { make_provider(fake.config())->embeddings("text-embedding-004", {"a", "b"}, CancelToken()); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "1 embeddings for 2 inputs"));
}

TEST_CASE("gemini: a stream framed with CRLF line endings, as Google sends it, is read") {
  GeminiFake fake;
  fake.upstream.enqueue(ScriptedResponse::raw_stream(
      {"data: " + response_of(json::array({text_part("Hel")})).dump() + "\r\n\r\n",
       "data: " + response_of(json::array({text_part("lo")}), "STOP", usage_of(2, 2)).dump() + "\r\n\r\n"},
      "text/event-stream"));
  auto outcome = run_chat(fake.config(), hello(true));
  CHECK(outcome.completion.content == "Hello");
  CHECK(outcome.completion.finish_reason == "stop");
}

TEST_CASE("gemini: a schema whose $refs fan out exponentially is refused, not expanded") {
  // 16 definitions, each with ten properties referring to the next: about
  // 10^16 nodes once inlined, from a schema of a few kilobytes.
  json definitions = json::object();
  for (int level = 0; level < 16; ++level) {
    json properties = json::object();
    for (int branch = 0; branch < 10; ++branch)
      properties["p" + std::to_string(branch)] =
          level == 15 ? json{{"type", "string"}} : json{{"$ref", "#/$defs/d" + std::to_string(level + 1)}};
    definitions["d" + std::to_string(level)] = {{"type", "object"}, {"properties", properties}};
  }
  json schema = {{"$ref", "#/$defs/d0"}, {"$defs", definitions}};
  auto error = weir::testing::expect_error([&] { gemini_schema_from_json_schema(schema); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()).find("$refs") != std::string::npos);
}
