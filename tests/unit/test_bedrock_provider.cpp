#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/net/percent_encoding.hpp"
#include "core/provider/aws_signature.hpp"
#include "core/provider/bedrock_provider.hpp"
#include "core/provider/provider.hpp"
#include "core/provider/provider_setup.hpp"
#include "tests/support/event_stream_frames.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using weir::testing::converse_answer;
using weir::testing::converse_event;
using weir::testing::converse_exception;
using weir::testing::converse_text_stream;
using weir::testing::expect_error;
using weir::testing::FakeUpstream;
using weir::testing::kEventStreamType;
using weir::testing::RecordedRequest;
using weir::testing::ScriptedResponse;

namespace {

constexpr const char* kModel = "anthropic.claude-3-haiku-20240307-v1:0";
constexpr const char* kKeyId = "AKIDWEIRTEST";
constexpr const char* kSecret = "weir-test-secret-access-key";

void set_test_credentials() {
  setenv("AWS_ACCESS_KEY_ID", kKeyId, 1);
  setenv("AWS_SECRET_ACCESS_KEY", kSecret, 1);
  unsetenv("AWS_SESSION_TOKEN");
}

struct BedrockFake {
  FakeUpstream upstream;
  BedrockFake() { upstream.answer_posts_matching("/model/[^/]+/(converse|converse-stream)"); }
};

ProviderConfig config_for(const FakeUpstream& upstream) {
  ProviderConfig config;
  config.name = "aws";
  config.kind = ProviderKind::bedrock;
  config.base_url = upstream.root_url();
  config.region = "us-east-1";
  config.connect_timeout_ms = 2000;
  config.idle_timeout_ms = 5000;
  config.max_retries = 0;
  return config;
}

ChatRequest request_for(bool stream, const std::string& text = "Hi") {
  ChatRequest request;
  request.model = kModel;
  request.messages = json::array({{{"role", "user"}, {"content", text}}});
  request.stream = stream;
  return request;
}

struct Outcome {
  Completion completion;
  std::vector<StreamDelta> deltas;
};

Outcome run(const ProviderConfig& config, const ChatRequest& request) {
  Outcome outcome;
  outcome.completion =
      make_provider(config)->chat(request, [&](const StreamDelta& delta) { outcome.deltas.push_back(delta); }, {});
  return outcome;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Cuts a byte string into pieces of `size` (the last may be shorter).
std::vector<std::string> pieces_of(const std::vector<std::string>& frames, size_t size) {
  std::string all;
  for (const auto& frame : frames) all += frame;
  std::vector<std::string> pieces;
  for (size_t at = 0; at < all.size(); at += size) pieces.push_back(all.substr(at, size));
  return pieces;
}

std::chrono::system_clock::time_point fixed_time() {
  std::tm parts{};
  parts.tm_year = 2024 - 1900;
  parts.tm_mon = 4;
  parts.tm_mday = 17;
  parts.tm_hour = 9;
  parts.tm_min = 30;
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

}  // namespace

TEST_CASE("bedrock: a non-streamed answer from /converse, with the Converse body") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, converse_answer("Hello there", "end_turn", 12, 3)));
  auto request = request_for(false);
  request.messages = json::array({{{"role", "system"}, {"content", "Be brief."}},
                                  {{"role", "user"}, {"content", "Hi"}}});
  request.sampling.max_tokens = 100;
  request.sampling.temperature = 0.2;
  request.sampling.top_p = 0.9;
  request.sampling.stop = {"END"};
  request.sampling.presence_penalty = 0.5;  // Converse has no place for it
  auto outcome = run(config_for(fake.upstream), request);
  CHECK(outcome.completion.content == "Hello there");
  CHECK(outcome.completion.finish_reason == "stop");
  CHECK(outcome.completion.model == kModel);
  REQUIRE(outcome.completion.usage);
  CHECK(outcome.completion.usage->prompt_tokens == 12);
  CHECK(outcome.completion.usage->completion_tokens == 3);
  CHECK(outcome.deltas.size() == 1);

  auto recorded = fake.upstream.requests().at(0);
  CHECK(contains(recorded.path, "/model/anthropic.claude-3-haiku-20240307-v1"));
  CHECK(recorded.path.ends_with("/converse"));
  CHECK(recorded.header("accept") == "application/json");
  const json& body = recorded.json_body;
  CHECK(body["messages"] == json::parse(R"([{"role":"user","content":[{"text":"Hi"}]}])"));
  CHECK(body["system"] == json::parse(R"([{"text":"Be brief."}])"));
  CHECK(body["inferenceConfig"] ==
        json::parse(R"({"maxTokens":100,"temperature":0.2,"topP":0.9,"stopSequences":["END"]})"));
  CHECK_FALSE(body.contains("toolConfig"));
  CHECK_FALSE(body.contains("model"));
  CHECK_FALSE(body.contains("stream"));
}

TEST_CASE("bedrock: a streamed answer from /converse-stream, event-stream frames in order") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::raw_stream(converse_text_stream({"Hel", "lo", " world"}, "max_tokens", 9, 4),
                                                     kEventStreamType));
  auto outcome = run(config_for(fake.upstream), request_for(true));
  CHECK(outcome.completion.content == "Hello world");
  CHECK(outcome.completion.finish_reason == "length");
  REQUIRE(outcome.completion.usage);
  CHECK(outcome.completion.usage->prompt_tokens == 9);
  CHECK(outcome.completion.usage->completion_tokens == 4);
  REQUIRE(outcome.deltas.size() >= 5);
  CHECK(outcome.deltas[0].content == "Hel");
  CHECK(outcome.deltas[1].content == "lo");
  auto recorded = fake.upstream.requests().at(0);
  CHECK(recorded.path.ends_with("/converse-stream"));
  CHECK(recorded.header("accept") == kEventStreamType);
}

TEST_CASE("bedrock: frames cut into arbitrary byte slices on the wire still decode") {
  set_test_credentials();
  for (size_t size : {1, 5, 13, 64}) {
    CAPTURE(size);
    BedrockFake fake;
    fake.upstream.enqueue(
        ScriptedResponse::raw_stream(pieces_of(converse_text_stream({"one ", "two ", "three"}), size), kEventStreamType));
    auto outcome = run(config_for(fake.upstream), request_for(true));
    CHECK(outcome.completion.content == "one two three");
    CHECK(outcome.completion.finish_reason == "stop");
  }
}

TEST_CASE("bedrock: usage with prompt-cache reads and writes counts both in prompt_tokens") {
  set_test_credentials();
  BedrockFake fake;
  json answer = converse_answer("cached", "end_turn");
  answer["usage"] = {{"inputTokens", 5}, {"outputTokens", 7}, {"totalTokens", 1512},
                     {"cacheReadInputTokens", 1000}, {"cacheWriteInputTokens", 500}};
  fake.upstream.enqueue(ScriptedResponse::json_body(200, answer));
  auto frames = converse_text_stream({"cached"});
  frames.back() = converse_event("metadata", {{"usage", {{"inputTokens", 5}, {"outputTokens", 7},
                                                          {"cacheReadInputTokens", 1000},
                                                          {"cacheWriteInputTokens", 500}}}});
  fake.upstream.enqueue(ScriptedResponse::raw_stream(frames, kEventStreamType));
  for (bool stream : {false, true}) {
    CAPTURE(stream);
    auto outcome = run(config_for(fake.upstream), request_for(stream));
    REQUIRE(outcome.completion.usage);
    CHECK(outcome.completion.usage->prompt_tokens == 1505);
    CHECK(outcome.completion.usage->cached_tokens == 1000);
    CHECK(outcome.completion.usage->cache_write_tokens == 500);
    CHECK(outcome.completion.usage->completion_tokens == 7);
  }
}

TEST_CASE("bedrock: client tools go out as toolConfig and a streamed toolUse comes back as tool_calls") {
  set_test_credentials();
  BedrockFake fake;
  std::vector<std::string> frames = {
      converse_event("messageStart", {{"role", "assistant"}}),
      converse_event("contentBlockDelta", {{"contentBlockIndex", 0}, {"delta", {{"text", "Let me check."}}}}),
      converse_event("contentBlockStop", {{"contentBlockIndex", 0}}),
      converse_event("contentBlockStart",
                     {{"contentBlockIndex", 1}, {"start", {{"toolUse", {{"toolUseId", "tooluse_1"}, {"name", "get_weather"}}}}}}),
      converse_event("contentBlockDelta", {{"contentBlockIndex", 1}, {"delta", {{"toolUse", {{"input", "{\"city\":"}}}}}}),
      converse_event("contentBlockDelta", {{"contentBlockIndex", 1}, {"delta", {{"toolUse", {{"input", "\"Paris\"}"}}}}}}),
      converse_event("contentBlockStop", {{"contentBlockIndex", 1}}),
      converse_event("contentBlockStart",
                     {{"contentBlockIndex", 2}, {"start", {{"toolUse", {{"toolUseId", "tooluse_2"}, {"name", "now"}}}}}}),
      converse_event("contentBlockStop", {{"contentBlockIndex", 2}}),
      converse_event("messageStop", {{"stopReason", "tool_use"}}),
      converse_event("metadata", {{"usage", {{"inputTokens", 30}, {"outputTokens", 20}}}}),
  };
  fake.upstream.enqueue(ScriptedResponse::raw_stream(frames, kEventStreamType));
  auto request = request_for(true, "Weather in Paris?");
  request.tools = json::parse(R"([
    {"type":"function","function":{"name":"get_weather","description":"Weather of a city",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
    {"type":"function","function":{"name":"now"}}])");
  request.tool_choice = "required";
  auto outcome = run(config_for(fake.upstream), request);
  CHECK(outcome.completion.content == "Let me check.");
  CHECK(outcome.completion.finish_reason == "tool_calls");
  REQUIRE(outcome.completion.tool_calls.size() == 2);
  CHECK(outcome.completion.tool_calls[0].id == "tooluse_1");
  CHECK(outcome.completion.tool_calls[0].name == "get_weather");
  CHECK(json::parse(outcome.completion.tool_calls[0].arguments) == json{{"city", "Paris"}});
  CHECK(outcome.completion.tool_calls[1].name == "now");
  CHECK(outcome.completion.tool_calls[1].arguments == "{}");

  const json body = fake.upstream.requests().at(0).json_body;
  CHECK(body["toolConfig"]["toolChoice"] == json::parse(R"({"any":{}})"));
  CHECK(body["toolConfig"]["tools"][0] == json::parse(R"({"toolSpec":{"name":"get_weather",
      "description":"Weather of a city","inputSchema":{"json":{"type":"object",
      "properties":{"city":{"type":"string"}},"required":["city"]}}}})"));
  CHECK(body["toolConfig"]["tools"][1]["toolSpec"]["inputSchema"]["json"]["type"] == "object");
  CHECK_FALSE(body["toolConfig"]["tools"][1]["toolSpec"].contains("description"));
}

TEST_CASE("bedrock: a tool round trip sends toolUse and merged toolResult blocks; a named tool_choice is tool") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, converse_answer("It is sunny in Paris.")));
  auto request = request_for(false);
  request.messages = json::parse(R"([
    {"role":"user","content":"Weather in Paris and the time?"},
    {"role":"assistant","content":null,"tool_calls":[
      {"id":"tooluse_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
      {"id":"tooluse_2","type":"function","function":{"name":"now","arguments":""}}]},
    {"role":"tool","tool_call_id":"tooluse_1","content":"sunny"},
    {"role":"tool","tool_call_id":"tooluse_2","content":"12:00"},
    {"role":"user","content":"Thanks"}])");
  request.tools = json::parse(R"([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}])");
  request.tool_choice = json::parse(R"({"type":"function","function":{"name":"get_weather"}})");
  auto outcome = run(config_for(fake.upstream), request);
  CHECK(outcome.completion.content == "It is sunny in Paris.");
  const json body = fake.upstream.requests().at(0).json_body;
  CHECK(body["messages"] == json::parse(R"([
    {"role":"user","content":[{"text":"Weather in Paris and the time?"}]},
    {"role":"assistant","content":[
      {"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}},
      {"toolUse":{"toolUseId":"tooluse_2","name":"now","input":{}}}]},
    {"role":"user","content":[
      {"toolResult":{"toolUseId":"tooluse_1","content":[{"text":"sunny"}]}},
      {"toolResult":{"toolUseId":"tooluse_2","content":[{"text":"12:00"}]}},
      {"text":"Thanks"}]}])"));
  CHECK(body["toolConfig"]["toolChoice"] == json::parse(R"({"tool":{"name":"get_weather"}})"));
}

TEST_CASE("bedrock: a non-streamed toolUse answer and reasoning content") {
  set_test_credentials();
  BedrockFake fake;
  json answer = json::parse(R"({"output":{"message":{"role":"assistant","content":[
      {"reasoningContent":{"reasoningText":{"text":"The user wants weather.","signature":"sig"}}},
      {"toolUse":{"toolUseId":"tu_9","name":"get_weather","input":{"city":"Oslo"}}}]}},
    "stopReason":"tool_use","usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7}})");
  fake.upstream.enqueue(ScriptedResponse::json_body(200, answer));
  auto outcome = run(config_for(fake.upstream), request_for(false));
  CHECK(outcome.completion.reasoning == "The user wants weather.");
  CHECK(outcome.completion.finish_reason == "tool_calls");
  REQUIRE(outcome.completion.tool_calls.size() == 1);
  CHECK(outcome.completion.tool_calls[0].id == "tu_9");
  CHECK(json::parse(outcome.completion.tool_calls[0].arguments) == json{{"city", "Oslo"}});
}

TEST_CASE("bedrock: streamed reasoningContent deltas become reasoning") {
  set_test_credentials();
  BedrockFake fake;
  auto frames = converse_text_stream({"42"});
  frames.insert(frames.begin() + 1,
                converse_event("contentBlockDelta",
                               {{"contentBlockIndex", 0}, {"delta", {{"reasoningContent", {{"text", "thinking..."}}}}}}));
  fake.upstream.enqueue(ScriptedResponse::raw_stream(frames, kEventStreamType));
  auto outcome = run(config_for(fake.upstream), request_for(true));
  CHECK(outcome.completion.reasoning == "thinking...");
  CHECK(outcome.completion.content == "42");
}

TEST_CASE("bedrock: a trailing assistant message is sent as prefill without trailing white space") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, converse_answer("blue\"}")));
  auto request = request_for(false);
  request.messages = json::parse(R"([{"role":"user","content":"Sky colour as JSON"},
                                     {"role":"assistant","content":"{\"colour\": \"  \n"}])");
  auto outcome = run(config_for(fake.upstream), request);
  CHECK(outcome.completion.content == "blue\"}");
  const json messages = fake.upstream.requests().at(0).json_body["messages"];
  REQUIRE(messages.size() == 2);
  CHECK(messages[1] == json::parse(R"({"role":"assistant","content":[{"text":"{\"colour\": \""}]})"));
}

TEST_CASE("bedrock: a data: URL image becomes an image block; an https image URL is a usage error") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, converse_answer("A red dot.")));
  auto request = request_for(false);
  request.messages = json::parse(R"([{"role":"user","content":[
      {"type":"text","text":"What is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
      {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}])");
  run(config_for(fake.upstream), request);
  const json content = fake.upstream.requests().at(0).json_body["messages"][0]["content"];
  CHECK(content == json::parse(R"([{"text":"What is this?"},
      {"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}},
      {"image":{"format":"jpeg","source":{"bytes":"/9j/4AAQ"}}}])"));

  request.messages[0]["content"][1]["image_url"]["url"] = "https://example.com/cat.png";
  auto error = expect_error([&] { run(config_for(fake.upstream), request); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "data: URL"));
  request.messages[0]["content"][1]["image_url"]["url"] = "data:image/tiff;base64,AAAA";
  error = expect_error([&] { run(config_for(fake.upstream), request); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "image/tiff"));
  CHECK(fake.upstream.request_count() == 1);  // nothing sent for the refused ones
}

TEST_CASE("bedrock: every attempt carries a well-formed SigV4 Authorization that verifies") {
  set_test_credentials();
  setenv("AWS_SESSION_TOKEN", "weir-session-token", 1);
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, converse_answer("signed")));
  auto config = config_for(fake.upstream);
  BedrockProvider provider(config, [] { return fixed_time(); });
  provider.chat(request_for(false), {}, {});
  RecordedRequest recorded = fake.upstream.requests().at(0);
  const std::string authorization = recorded.header("authorization");
  CHECK(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDWEIRTEST/20240517/us-east-1/bedrock/aws4_request, "
                            "SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;"
                            "x-amz-security-token, Signature=",
                            0) == 0);
  CHECK(recorded.header("x-amz-date") == "20240517T093000Z");
  CHECK(recorded.header("x-amz-security-token") == "weir-session-token");
  CHECK(recorded.header("x-amz-content-sha256") == sha256_hex(recorded.body));
  CHECK_FALSE(contains(authorization, kSecret));

  // The fake's side: recompute the signature from what arrived.
  AwsSigningInput input;
  input.method = "POST";
  input.url = fake.upstream.root_url() + "/model/" + percent_encode(kModel, false) + "/converse";
  input.headers = {{"accept", recorded.header("accept")},
                   {"content-type", recorded.header("content-type")},
                   {"host", recorded.header("host")}};
  input.body = recorded.body;
  input.region = "us-east-1";
  input.service = "bedrock";
  input.time = fixed_time();
  auto expected = sign_aws_request(input, {kKeyId, kSecret, "weir-session-token"});
  CHECK(authorization.substr(authorization.size() - 64) == expected.signature);
}

TEST_CASE("bedrock: a mid-stream exception frame ends the call with the error it means") {
  set_test_credentials();
  struct Case {
    const char* exception;
    ErrorKind kind;
  };
  for (const Case& test_case : {Case{"throttlingException", ErrorKind::rate_limited},
                                 Case{"validationException", ErrorKind::usage},
                                 Case{"serviceUnavailableException", ErrorKind::rate_limited},
                                 Case{"modelStreamErrorException", ErrorKind::upstream},
                                 Case{"internalServerException", ErrorKind::upstream}}) {
    const std::string exception = test_case.exception;
    const ErrorKind kind = test_case.kind;
    CAPTURE(exception);
    BedrockFake fake;
    auto frames = converse_text_stream({"partial"});
    frames.resize(2);  // messageStart and one delta
    frames.push_back(converse_exception(exception, "the model stream broke"));
    fake.upstream.enqueue(ScriptedResponse::raw_stream(frames, kEventStreamType));
    auto config = config_for(fake.upstream);
    config.max_retries = 2;  // output was delivered: no retry may repeat it
    std::vector<StreamDelta> deltas;
    auto error = expect_error([&] {
      make_provider(config)->chat(request_for(true), [&](const StreamDelta& delta) { deltas.push_back(delta); }, {});
    });
    CHECK(error.kind() == kind);
    CHECK(contains(error.what(), exception));
    CHECK(contains(error.what(), "the model stream broke"));
    CHECK(deltas.size() == 1);
    CHECK(fake.upstream.request_count() == 1);
  }
}

TEST_CASE("bedrock: a throttling exception before any output is retried") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::raw_stream({converse_exception("throttlingException", "slow down")},
                                                     kEventStreamType));
  fake.upstream.enqueue(ScriptedResponse::raw_stream(converse_text_stream({"after retry"}), kEventStreamType));
  auto config = config_for(fake.upstream);
  config.max_retries = 1;
  auto outcome = run(config, request_for(true));
  CHECK(outcome.completion.content == "after retry");
  CHECK(fake.upstream.request_count() == 2);
  auto requests = fake.upstream.requests();
  CHECK(requests[0].header("authorization") != "");
  CHECK(requests[1].header("authorization") != "");
}

TEST_CASE("bedrock: HTTP errors map to authentication, usage, rate_limited and upstream") {
  set_test_credentials();
  struct Case {
    int status;
    const char* type;
    const char* message;
    ErrorKind kind;
  };
  for (const Case& test_case : {
           Case{403, "UnrecognizedClientException", "The security token included in the request is invalid.",
                ErrorKind::authentication},
           Case{403, "AccessDeniedException", "You don't have access to the model with the specified model ID.",
                ErrorKind::authentication},
           Case{400, "ValidationException", "Input is too long for requested model.", ErrorKind::usage},
           Case{429, "ThrottlingException", "Too many requests, please wait before trying again.",
                ErrorKind::rate_limited},
           Case{503, "ServiceUnavailableException", "Bedrock is unable to process your request.",
                ErrorKind::rate_limited},
           Case{500, "InternalServerException", "Internal server error", ErrorKind::upstream}}) {
    const int status = test_case.status;
    const std::string type = test_case.type;
    const std::string message = test_case.message;
    const ErrorKind kind = test_case.kind;
    CAPTURE(type);
    BedrockFake fake;
    fake.upstream.enqueue(ScriptedResponse::json_body(
        status, {{"message", message}},
        {{"x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}}));
    auto error = expect_error([&] { run(config_for(fake.upstream), request_for(true)); });
    CHECK(error.kind() == kind);
    CHECK(contains(error.what(), message));
    if (kind == ErrorKind::authentication) CHECK(contains(error.what(), "AWS_ACCESS_KEY_ID"));
    // Bedrock's overload is a limit of its capacity, told like Anthropic's 529.
    if (status == 503) CHECK(contains(error.what(), "aws is overloaded (HTTP 503)"));
    CHECK_FALSE(contains(error.what(), kSecret));
  }
}

TEST_CASE("bedrock: a 503 ServiceUnavailableException is overload: retried, then rate_limited") {
  set_test_credentials();
  const ScriptedResponse unavailable = ScriptedResponse::json_body(
      503, {{"message", "Bedrock is unable to process your request."}},
      {{"x-amzn-ErrorType", "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/"}});
  BedrockFake fake;
  fake.upstream.enqueue(unavailable);
  fake.upstream.enqueue(ScriptedResponse::json_body(200, converse_answer("served on the second try")));
  auto config = config_for(fake.upstream);
  config.max_retries = 1;
  CHECK(run(config, request_for(false)).completion.content == "served on the second try");
  CHECK(fake.upstream.request_count() == 2);

  // The type in the body's __type (no header) means the same.
  BedrockFake spent;
  spent.upstream.set_default(ScriptedResponse::json_body(
      503, {{"__type", "com.amazon.coral.service#ServiceUnavailableException"},
            {"message", "Bedrock is unable to process your request."}}));
  auto error = expect_error([&] { run(config_for(spent.upstream), request_for(true)); });
  CHECK(error.kind() == ErrorKind::rate_limited);
  CHECK(contains(error.what(), "aws is overloaded (HTTP 503): Bedrock is unable to process your request."));

  // A 503 of another type stays an upstream failure.
  BedrockFake other;
  other.upstream.set_default(ScriptedResponse::json_body(
      503, {{"message", "upstream connect error"}},
      {{"x-amzn-ErrorType", "InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/"}}));
  CHECK(expect_error([&] { run(config_for(other.upstream), request_for(true)); }).kind() == ErrorKind::upstream);
}

TEST_CASE("bedrock: missing credentials or region fail before anything is sent") {
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/weir-test/credentials", 1);
  BedrockFake fake;
  auto error = expect_error([&] { run(config_for(fake.upstream), request_for(false)); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(contains(error.what(), "AWS_ACCESS_KEY_ID"));

  set_test_credentials();
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  auto config = config_for(fake.upstream);
  config.region.clear();
  error = expect_error([&] { run(config, request_for(false)); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "--region"));
  CHECK(fake.upstream.request_count() == 0);
}

TEST_CASE("bedrock: a stream that stops before messageStop, or mid-frame, is an upstream error") {
  set_test_credentials();
  BedrockFake fake;
  auto frames = converse_text_stream({"cut"});
  frames.resize(2);
  fake.upstream.enqueue(ScriptedResponse::raw_stream(frames, kEventStreamType));
  auto error = expect_error([&] { run(config_for(fake.upstream), request_for(true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "messageStop"));

  frames = converse_text_stream({"cut"});
  frames.back().resize(frames.back().size() - 3);
  fake.upstream.enqueue(ScriptedResponse::raw_stream(frames, kEventStreamType));
  error = expect_error([&] { run(config_for(fake.upstream), request_for(true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "middle of a frame"));
}

TEST_CASE("bedrock: a 200 that is not a Converse answer is an upstream error") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.enqueue(ScriptedResponse::json_body(200, {{"output", {{"message", "nope"}}}}));
  auto error = expect_error([&] { run(config_for(fake.upstream), request_for(false)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "output.message.content"));
}

TEST_CASE("bedrock: describe_request shows the endpoint, body and a placeholder, never a secret") {
  set_test_credentials();
  ProviderConfig config;
  config.name = "aws";
  config.kind = ProviderKind::bedrock;
  config.region = "eu-west-1";
  auto described = make_provider(config)->describe_request(request_for(true));
  CHECK(described["url"] ==
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream");
  std::string authorization = described["headers"]["Authorization"];
  CHECK(authorization.rfind("AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/<date>/eu-west-1/bedrock/aws4_request", 0) == 0);
  CHECK(described["body"]["messages"][0]["content"][0]["text"] == "Hi");
  CHECK_FALSE(contains(described.dump(), kSecret));
  CHECK_FALSE(contains(described.dump(), kKeyId));
}

TEST_CASE("bedrock: models() lists the foundation models, signed") {
  set_test_credentials();
  BedrockFake fake;
  fake.upstream.answer_get("/foundation-models",
                           json::parse(R"({"modelSummaries":[{"modelId":"meta.llama3-8b-instruct-v1:0"},
                                                             {"modelId":"amazon.titan-text-express-v1"}]})"));
  auto ids = make_provider(config_for(fake.upstream))->models({});
  CHECK(ids == std::vector<std::string>{"amazon.titan-text-express-v1", "meta.llama3-8b-instruct-v1:0"});
  CHECK(contains(fake.upstream.requests().at(0).header("authorization"), "/us-east-1/bedrock/aws4_request"));
  CHECK(make_provider(config_for(fake.upstream))->capabilities().image_input);
  CHECK_FALSE(make_provider(config_for(fake.upstream))->capabilities().embeddings);
}

TEST_CASE("bedrock: provider setup takes region and profile and needs no base URL; others still do") {
  ProviderSettings settings;
  settings.kind = "bedrock";
  settings.region = "us-west-2";
  settings.aws_profile = "work";
  auto config = configure_provider("aws", std::nullopt, settings);
  CHECK(config.kind == ProviderKind::bedrock);
  CHECK(config.base_url.empty());
  CHECK(config.region == "us-west-2");
  CHECK(config.aws_profile == "work");
  CHECK(ProviderConfig::from_json(config.to_json()).region == "us-west-2");

  auto preset = configure_provider("bedrock", std::nullopt, {});
  CHECK(preset.kind == ProviderKind::bedrock);
  CHECK(preset.base_url.empty());

  settings.base_url = "ftp://nope";
  CHECK(expect_error([&] { configure_provider("aws", std::nullopt, settings); }).kind() == ErrorKind::usage);
  ProviderSettings openai;
  openai.kind = "openai";
  CHECK(expect_error([&] { configure_provider("plain", std::nullopt, openai); }).kind() == ErrorKind::usage);
}
