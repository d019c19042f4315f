#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "core/error.hpp"
#include "core/provider/api_key.hpp"
#include "core/provider/openai_provider.hpp"
#include "core/provider/provider.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::FakeUpstream;
using weir::testing::ScriptedResponse;
namespace chunk = weir::testing::openai_chunk;
using namespace std::chrono_literals;

namespace {

ProviderConfig config_for(const FakeUpstream& upstream) {
  ProviderConfig config;
  config.name = "fake";
  config.kind = ProviderKind::openai;
  config.base_url = upstream.base_url();
  config.connect_timeout_ms = 2000;
  config.idle_timeout_ms = 5000;
  config.max_retries = 2;
  return config;
}

ChatRequest simple_request(bool stream) {
  ChatRequest request;
  request.model = "fake-model";
  request.messages = json::array({{{"role", "user"}, {"content", "Hi"}}});
  request.stream = stream;
  return request;
}

struct ChatOutcome {
  Completion completion;
  std::vector<StreamDelta> deltas;
};

ChatOutcome run_chat(const ProviderConfig& config, const ChatRequest& request,
                     const CancelToken& cancel = CancelToken()) {
  ChatOutcome outcome;
  outcome.completion = make_provider(config)->chat(
      request, [&](const StreamDelta& delta) { outcome.deltas.push_back(delta); }, cancel);
  return outcome;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A loopback port with nothing listening: bound once by us, then released.
int unused_port() {
  int socket_handle = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(socket_handle >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(bind(socket_handle, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(getsockname(socket_handle, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  close(socket_handle);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("openai: the upstream receives exactly the request body and headers") {
  FakeUpstream upstream;
  ChatRequest request;
  request.model = "gpt-test";
  request.messages = json::array({{{"role", "system"}, {"content", "Be brief."}},
                                  {{"role", "user"}, {"content", "Name a colour."}},
                                  {{"role", "assistant"}, {"content", "The colour is"}}});
  request.sampling.temperature = 0.2;
  request.sampling.top_p = 0.9;
  request.sampling.max_tokens = 64;
  request.sampling.stop = {"\n\n"};

  SUBCASE("streaming") {
    request.stream = true;
    run_chat(config_for(upstream), request);
    REQUIRE(upstream.request_count() == 1);
    auto sent = upstream.requests().at(0);
    CHECK(sent.method == "POST");
    CHECK(sent.path == "/v1/chat/completions");
    CHECK(sent.json_body == json{{"model", "gpt-test"},
                                 {"messages", request.messages},
                                 {"temperature", 0.2},
                                 {"top_p", 0.9},
                                 {"max_tokens", 64},
                                 {"stop", json::array({"\n\n"})},
                                 {"stream", true},
                                 {"stream_options", {{"include_usage", true}}}});
    CHECK(sent.header("Content-Type") == "application/json");
    CHECK(sent.header("Accept") == "text/event-stream");
    CHECK(sent.header("Authorization").empty());
  }
  SUBCASE("not streaming") {
    request.stream = false;
    run_chat(config_for(upstream), request);
    auto sent = upstream.requests().at(0);
    CHECK(sent.json_body == json{{"model", "gpt-test"},
                                 {"messages", request.messages},
                                 {"temperature", 0.2},
                                 {"top_p", 0.9},
                                 {"max_tokens", 64},
                                 {"stop", json::array({"\n\n"})},
                                 {"stream", false}});
  }
  SUBCASE("configured headers win") {
    auto config = config_for(upstream);
    config.headers = {{"X-Team", "search"}, {"accept", "text/event-stream; charset=utf-8"}};
    run_chat(config, request);
    auto sent = upstream.requests().at(0);
    CHECK(sent.header("X-Team") == "search");
    CHECK(sent.header("Accept") == "text/event-stream; charset=utf-8");
  }
}

TEST_CASE("openai: a stream is delivered delta by delta and folded") {
  FakeUpstream upstream;
  upstream.enqueue(
      ScriptedResponse::sse({chunk::role(), chunk::content("Hel"), chunk::content("lo"),
                             chunk::finish("stop"), chunk::usage(12, 3, 4, 1), chunk::kDone}));
  auto outcome = run_chat(config_for(upstream), simple_request(true));
  REQUIRE(outcome.deltas.size() == 4);  // the role chunk carries nothing
  CHECK(outcome.deltas[0].content == "Hel");
  CHECK(outcome.deltas[1].content == "lo");
  CHECK(outcome.deltas[2].finish_reason == "stop");
  REQUIRE(outcome.deltas[3].usage.has_value());
  const Completion& completion = outcome.completion;
  CHECK(completion.content == "Hello");
  CHECK(completion.finish_reason == "stop");
  CHECK(completion.id == chunk::kId);
  CHECK(completion.model == chunk::kModel);
  REQUIRE(completion.usage.has_value());
  CHECK(completion.usage->prompt_tokens == 12);
  CHECK(completion.usage->completion_tokens == 3);
  CHECK(completion.usage->cached_tokens == 4);
  CHECK(completion.usage->reasoning_tokens == 1);
}

TEST_CASE("openai: a non-streaming answer arrives as one delta") {
  FakeUpstream upstream;
  json body = testing::chat_completion("Blue.", "stop", 20, 2);
  body["choices"][0]["message"]["reasoning_content"] = "Sky.";
  upstream.enqueue(ScriptedResponse::json_body(200, body));
  auto outcome = run_chat(config_for(upstream), simple_request(false));
  REQUIRE(outcome.deltas.size() == 1);
  CHECK(outcome.deltas[0].content == "Blue.");
  CHECK(outcome.completion.content == "Blue.");
  CHECK(outcome.completion.reasoning == "Sky.");
  CHECK(outcome.completion.finish_reason == "stop");
  CHECK(outcome.completion.id == chunk::kId);
  REQUIRE(outcome.completion.usage.has_value());
  CHECK(outcome.completion.usage->prompt_tokens == 20);
}

TEST_CASE("openai: token counts out of range count as 0") {
  FakeUpstream upstream;
  json body = testing::chat_completion("Blue.", "stop", 20, 2);
  body["usage"] = {{"prompt_tokens", 1e300},
                   {"completion_tokens", -5},
                   {"prompt_tokens_details", {{"cached_tokens", 18446744073709551615ULL}}},
                   {"completion_tokens_details", {{"reasoning_tokens", 7.9}}}};
  upstream.enqueue(ScriptedResponse::json_body(200, body));
  auto outcome = run_chat(config_for(upstream), simple_request(false));
  REQUIRE(outcome.completion.usage.has_value());
  CHECK(outcome.completion.usage->prompt_tokens == 0);
  CHECK(outcome.completion.usage->completion_tokens == 0);
  CHECK(outcome.completion.usage->cached_tokens == 0);
  CHECK(outcome.completion.usage->reasoning_tokens == 7);
}

TEST_CASE("openai: a server that ignores stream and answers JSON is accepted") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::json_body(200, testing::chat_completion("Plain.")));
  auto outcome = run_chat(config_for(upstream), simple_request(true));
  REQUIRE(outcome.deltas.size() == 1);
  CHECK(outcome.completion.content == "Plain.");
}

TEST_CASE("openai: fragmented tool calls are assembled") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::sse({
      chunk::role(),
      chunk::tool_call(0, "call_weather", "get_weather", ""),
      chunk::tool_call(0, "", "", "{\"ci"),
      chunk::tool_call(1, "call_time", "get_time", "{\"zone\""),
      chunk::tool_call(0, "", "", "ty\":\"Paris\"}"),
      chunk::tool_call(1, "", "", ":\"CET\"}"),
      chunk::finish("tool_calls"),
      chunk::kDone,
  }));
  auto completion = run_chat(config_for(upstream), simple_request(true)).completion;
  REQUIRE(completion.tool_calls.size() == 2);
  CHECK(completion.tool_calls[0].id == "call_weather");
  CHECK(completion.tool_calls[0].name == "get_weather");
  CHECK(completion.tool_calls[0].arguments == "{\"city\":\"Paris\"}");
  CHECK(completion.tool_calls[1].id == "call_time");
  CHECK(completion.tool_calls[1].name == "get_time");
  CHECK(completion.tool_calls[1].arguments == "{\"zone\":\"CET\"}");
  CHECK(completion.finish_reason == "tool_calls");
  CHECK(completion.assistant_message()["tool_calls"].size() == 2);
}

TEST_CASE("openai: reasoning_content deltas are collected apart from the answer") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::reasoning_content("Think"),
                                          chunk::reasoning_content("ing."), chunk::content("Done."),
                                          chunk::finish("stop"), chunk::kDone}));
  auto outcome = run_chat(config_for(upstream), simple_request(true));
  CHECK(outcome.deltas.at(0).reasoning == "Think");
  CHECK(outcome.completion.reasoning == "Thinking.");
  CHECK(outcome.completion.content == "Done.");
}

TEST_CASE("openai: a stream may end without [DONE] once a finish_reason came, not before") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::sse({chunk::content("Hi"), chunk::finish("length")}));
  CHECK(run_chat(config_for(upstream), simple_request(true)).completion.finish_reason == "length");

  upstream.enqueue(ScriptedResponse::sse({chunk::content("Hi")}));
  auto error = expect_error([&] { run_chat(config_for(upstream), simple_request(true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "closed the stream before finishing"));
}

TEST_CASE("openai: a server that holds the connection open after [DONE] does not fail the answer") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::stalled({chunk::content("Complete."), chunk::kDone}, 3s));
  auto config = config_for(upstream);
  config.idle_timeout_ms = 200;
  CHECK(run_chat(config, simple_request(true)).completion.content == "Complete.");
}

TEST_CASE("openai: 429 with Retry-After 0 is retried and then succeeds") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::json_body(429, {{"error", {{"message", "slow down"}}}},
                                               {{"Retry-After", "0"}}));
  upstream.enqueue(ScriptedResponse::text_answer("After the wait.", true));
  auto start = std::chrono::steady_clock::now();
  auto completion = run_chat(config_for(upstream), simple_request(true)).completion;
  CHECK(completion.content == "After the wait.");
  CHECK(upstream.request_count() == 2);
  CHECK(seconds_since(start) < 1.0);
}

TEST_CASE("openai: Retry-After may be an HTTP date") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::json_body(503, {{"error", {{"message", "busy"}}}},
                                               {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}));
  upstream.enqueue(ScriptedResponse::text_answer("Later.", false));
  auto start = std::chrono::steady_clock::now();
  CHECK(run_chat(config_for(upstream), simple_request(false)).completion.content == "Later.");
  CHECK(seconds_since(start) < 1.0);  // a date in the past means: now

  upstream.enqueue(ScriptedResponse::json_body(503, {{"error", {{"message", "maintenance"}}}},
                                               {{"Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"}}));
  auto error = expect_error([&] { run_chat(config_for(upstream), simple_request(false)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(
      contains(error.what(), "fake answered HTTP 503: maintenance; the upstream asks to retry in"));
  CHECK(upstream.request_count() == 3);
}

TEST_CASE("openai: 429 asking for a long wait fails at once and says when to retry") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::json_body(429, {{"error", {{"message", "quota"}}}},
                                               {{"Retry-After", "120"}}));
  auto error = expect_error([&] { run_chat(config_for(upstream), simple_request(true)); });
  CHECK(error.kind() == ErrorKind::rate_limited);
  CHECK(contains(error.what(), "quota"));
  CHECK(contains(error.what(), "retry in 120 s"));
  CHECK(upstream.request_count() == 1);
}

TEST_CASE("openai: 500 is retried, then reported with the upstream's message") {
  FakeUpstream upstream;
  upstream.set_default(
      ScriptedResponse::json_body(500, {{"error", {{"message", "the model crashed"}}}}));
  auto config = config_for(upstream);
  config.max_retries = 1;
  auto error = expect_error([&] { run_chat(config, simple_request(true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "fake answered HTTP 500: the model crashed"));
  CHECK(upstream.request_count() == 2);
}

TEST_CASE("openai: HTTP errors that are not retried") {
  FakeUpstream upstream;
  auto config = config_for(upstream);

  SUBCASE("401 names the key variable") {
    setenv("WEIR_TEST_FAKE_KEY", "sk-test-secret", 1);
    config.api_key_env = "WEIR_TEST_FAKE_KEY";
    upstream.enqueue(
        ScriptedResponse::json_body(401, {{"error", {{"message", "Incorrect API key provided"}}}}));
    auto error = expect_error([&] { run_chat(config, simple_request(true)); });
    CHECK(error.kind() == ErrorKind::authentication);
    CHECK(
        contains(error.what(), "fake rejected the API key (HTTP 401): Incorrect API key provided"));
    CHECK(contains(error.what(), "$WEIR_TEST_FAKE_KEY"));
    CHECK_FALSE(contains(error.what(), "sk-test-secret"));
    CHECK(upstream.requests().at(0).header("Authorization") == "Bearer sk-test-secret");
    CHECK(upstream.request_count() == 1);
    unsetenv("WEIR_TEST_FAKE_KEY");
  }
  SUBCASE("404 says model or endpoint not found") {
    upstream.enqueue(ScriptedResponse::json_body(404, {{"error", "model 'fake-model' not found"}}));
    auto error = expect_error([&] { run_chat(config, simple_request(true)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(),
                   "model 'fake-model' or endpoint not found at " + upstream.base_url()));
    CHECK(contains(error.what(), "model 'fake-model' not found"));
  }
  SUBCASE("400 carries the upstream's message, or the raw body") {
    upstream.enqueue(
        ScriptedResponse::json_body(400, {{"error", {{"message", "max_tokens is too large"}}}}));
    auto error = expect_error([&] { run_chat(config, simple_request(true)); });
    CHECK(contains(error.what(), "fake rejected the request (HTTP 400): max_tokens is too large"));
    upstream.enqueue(ScriptedResponse::raw(400, "text/plain", "bad things\n"));
    error = expect_error([&] { run_chat(config, simple_request(true)); });
    CHECK(contains(error.what(), "(HTTP 400): bad things"));
  }
}

TEST_CASE("openai: a missing key fails before any request is sent") {
  FakeUpstream upstream;
  auto config = config_for(upstream);
  unsetenv("WEIR_TEST_KEY_THAT_IS_NOT_SET");
  config.api_key_env = "WEIR_TEST_KEY_THAT_IS_NOT_SET";
  auto error = expect_error([&] { run_chat(config, simple_request(true)); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(contains(error.what(),
                 "needs an API key in $WEIR_TEST_KEY_THAT_IS_NOT_SET, which is not set"));
  CHECK(upstream.request_count() == 0);
}

TEST_CASE("api_key_cmd runs once per command and its failures are clear") {
  auto counter =
      std::filesystem::temp_directory_path() / ("weir-key-cmd-" + std::to_string(getpid()));
  std::filesystem::remove(counter);
  ProviderConfig config;
  config.name = "vault";
  config.api_key_cmd = "echo run >> '" + counter.string() + "'; printf 'sk-from-cmd  \\n'";
  CHECK(resolve_api_key(config) == "sk-from-cmd");
  CHECK(resolve_api_key(config) == "sk-from-cmd");
  std::ifstream runs(counter);
  std::string line;
  int count = 0;
  while (std::getline(runs, line)) ++count;
  CHECK(count == 1);
  std::filesystem::remove(counter);

  config.api_key_cmd = "exit 3";
  auto error = expect_error([&] { resolve_api_key(config); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(contains(error.what(), "api_key_cmd for provider 'vault' failed (exit 3)"));

  config.api_key_cmd = "true";
  CHECK(expect_error([&] { resolve_api_key(config); }).kind() == ErrorKind::authentication);

  ProviderConfig keyless;
  CHECK_FALSE(resolve_api_key(keyless).has_value());
}

TEST_CASE("openai: malformed stream data is an upstream error, not a crash") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::sse({chunk::content("Hi"), "{not json at all", chunk::kDone}));
  auto error = expect_error([&] { run_chat(config_for(upstream), simple_request(true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "upstream sent malformed stream data (syntax error at byte"));
  CHECK(contains(error.what(), "{not json at all"));
}

TEST_CASE("openai: an error object mid-stream is an upstream error") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::sse(
      {chunk::content("Hi"), json{{"error", {{"message", "overloaded, try later"}}}}.dump(),
       chunk::kDone}));
  std::vector<StreamDelta> deltas;
  auto error = expect_error([&] {
    make_provider(config_for(upstream))
        ->chat(
            simple_request(true), [&](const StreamDelta& delta) { deltas.push_back(delta); },
            CancelToken());
  });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "upstream error mid-stream: overloaded, try later"));
  CHECK(deltas.size() == 1);
  CHECK(upstream.request_count() == 1);  // output was delivered: no retry
}

TEST_CASE("openai: a stalled upstream hits the idle timeout long before the stall ends") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("Hel")}, 3s));
  auto config = config_for(upstream);
  config.idle_timeout_ms = 300;
  std::vector<StreamDelta> deltas;
  auto start = std::chrono::steady_clock::now();
  auto error = expect_error([&] {
    make_provider(config)->chat(
        simple_request(true), [&](const StreamDelta& delta) { deltas.push_back(delta); },
        CancelToken());
  });
  double elapsed = seconds_since(start);
  CHECK(error.kind() == ErrorKind::upstream_timeout);
  CHECK(contains(error.what(), "sent nothing for 300 ms"));
  CHECK(deltas.size() == 1);
  CHECK(elapsed >= 0.29);
  CHECK(elapsed < 2.0);
}

TEST_CASE("openai: cancelling during a stream ends the call quickly") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("Hel")}, 3s));
  CancelToken cancel;
  std::chrono::steady_clock::time_point cancelled_at;
  // Cancelled once the upstream has sent its first chunks and gone silent.
  std::thread canceller([&upstream, &cancelled_at, cancel] {
    upstream.wait_for_stalls(1);
    cancelled_at = std::chrono::steady_clock::now();
    cancel.cancel();
  });
  auto error = expect_error([&] { run_chat(config_for(upstream), simple_request(true), cancel); });
  auto ended_at = std::chrono::steady_clock::now();
  canceller.join();
  CHECK(error.kind() == ErrorKind::interrupted);
  CHECK(ended_at - cancelled_at < 400ms);
}

TEST_CASE("openai: cancelling during a retry wait ends the call quickly") {
  FakeUpstream upstream;
  upstream.set_default(ScriptedResponse::json_body(503, {{"error", {{"message", "busy"}}}},
                                                   {{"Retry-After", "20"}}));
  CancelToken cancel;
  std::chrono::steady_clock::time_point cancelled_at;
  // Cancelled once the first attempt reached the upstream, which answers
  // "busy, retry in 20 s".
  std::thread canceller([&upstream, &cancelled_at, cancel] {
    upstream.wait_for_requests(1);
    cancelled_at = std::chrono::steady_clock::now();
    cancel.cancel();
  });
  auto error = expect_error([&] { run_chat(config_for(upstream), simple_request(false), cancel); });
  auto ended_at = std::chrono::steady_clock::now();
  canceller.join();
  CHECK(error.kind() == ErrorKind::interrupted);
  CHECK(ended_at - cancelled_at < 400ms);
  CHECK(upstream.request_count() == 1);
}

TEST_CASE("openai: connection refused is an upstream error that says what to check") {
  ProviderConfig config;
  config.name = "nobody";
  config.base_url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/v1";
  config.max_retries = 0;
  auto error = expect_error([&] { run_chat(config, simple_request(true)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "could not connect to " + config.base_url + "/chat/completions"));
  CHECK(contains(error.what(), "is the service running?"));
}

TEST_CASE("openai: describe_request shows where the key comes from without needing it") {
  ProviderConfig config;
  config.name = "openai";
  config.base_url = "https://api.openai.com/v1/";
  config.api_key_env = "WEIR_TEST_KEY_THAT_IS_NOT_SET";
  unsetenv("WEIR_TEST_KEY_THAT_IS_NOT_SET");
  auto description = make_provider(config)->describe_request(simple_request(true));
  CHECK(description["method"] == "POST");
  CHECK(description["url"] == "https://api.openai.com/v1/chat/completions");
  CHECK(description["headers"]["Authorization"] == "Bearer $WEIR_TEST_KEY_THAT_IS_NOT_SET");
  CHECK(description["body"]["stream_options"]["include_usage"] == true);

  config.api_key_env.clear();
  config.api_key_cmd = "pass show openai";
  description = make_provider(config)->describe_request(simple_request(false));
  CHECK(description["headers"]["Authorization"] == "Bearer $(pass show openai)");
  CHECK_FALSE(description["body"].contains("stream_options"));
}

TEST_CASE("openai: models are listed sorted") {
  FakeUpstream upstream;
  upstream.set_models({"zeta", "alpha", "mid"});
  auto models = make_provider(config_for(upstream))->models(CancelToken());
  CHECK(models == std::vector<std::string>{"alpha", "mid", "zeta"});
  CHECK(upstream.requests().at(0).path == "/v1/models");
  CHECK(upstream.requests().at(0).method == "GET");
}

TEST_CASE("make_provider: every kind has an adapter") {
  ProviderConfig config;
  config.name = "any";
  config.base_url = "https://resource.openai.azure.com/openai/v1";  // a URL of a form every kind takes
  for (auto kind : {ProviderKind::openai, ProviderKind::anthropic, ProviderKind::gemini, ProviderKind::azure,
                    ProviderKind::bedrock, ProviderKind::ollama, ProviderKind::extractive}) {
    config.kind = kind;
    CHECK_MESSAGE(make_provider(config) != nullptr, to_string(kind));
  }
}
