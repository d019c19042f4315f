// Upstreams that misbehave, against the OpenAI adapter and the shared
// upstream call: a 200 of the wrong shape (whole and streamed), hostile JSON
// in an answer, a stream of comments that never ends, a 429's wait, and a
// base URL with a query string. Each is an upstream error of the right kind
// with a message that says what was wrong, and nothing reaches the caller.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/provider/openai_provider.hpp"
#include "core/provider/provider.hpp"
#include "core/provider/upstream_call.hpp"
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
  config.max_retries = 0;
  return config;
}

ChatRequest request(bool stream) {
  ChatRequest chat;
  chat.model = "fake-model";
  chat.messages = json::array({{{"role", "user"}, {"content", "Hi"}}});
  chat.stream = stream;
  return chat;
}

// Runs a chat that must fail; returns the error and counts the deltas that
// reached the caller before it.
Error failed_chat(const ProviderConfig& config, bool stream, size_t& deltas) {
  deltas = 0;
  return expect_error([&] {
    make_provider(config)->chat(request(stream), [&](const StreamDelta&) { ++deltas; }, CancelToken());
  });
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("upstream faults: a 200 whole body that is not a chat completion is an upstream error") {
  struct Case {
    json body;
    std::string says;
  };
  std::vector<Case> cases = {
      {json::object(), "no \"choices\""},
      {{{"choices", "x"}}, "\"choices\" is string, not a list"},
      {{{"choices", json::array()}}, "\"choices\" is empty"},
      {{{"choices", {1}}}, "choices[0] is number"},
      {{{"choices", {{{"index", 0}}}}}, "no \"message\" object"},
      {{{"choices", {{{"message", {{"content", 7}}}}}}}, "content is number"},
      {{{"choices", {{{"message", {{"content", "x"}, {"tool_calls", "y"}}}}}}}, "tool_calls is string"},
  };
  for (const auto& [body, says] : cases) {
    FakeUpstream upstream;
    upstream.enqueue(ScriptedResponse::json_body(200, body));
    size_t deltas = 0;
    auto error = failed_chat(config_for(upstream), false, deltas);
    INFO(body.dump());
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "not a chat completion"));
    CHECK(contains(error.what(), says));
    CHECK(deltas == 0);
  }
}

TEST_CASE("upstream faults: streamed chunks of the wrong shape are an upstream error") {
  std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{R"({"choices":"x"})", chunk::kDone}, "\"choices\" is string"},
      {{R"({"choices":[{"delta":"text"}]})", chunk::kDone}, "\"delta\" is string"},
      {{R"({"choices":[{"delta":{"content":{"a":1}}}]})", chunk::kDone}, "content is object"},
      {{R"([1,2])", chunk::kDone}, "a chunk is array"},
      // Objects with nothing in them, then [DONE]: no answer at all.
      {{"{}", "{}", chunk::kDone}, "without sending any choice"},
      {{chunk::kDone}, "without sending any choice"},
  };
  for (const auto& [payloads, says] : cases) {
    FakeUpstream upstream;
    upstream.enqueue(ScriptedResponse::sse(payloads));
    size_t deltas = 0;
    auto error = failed_chat(config_for(upstream), true, deltas);
    INFO(payloads.front());
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), says));
    CHECK(deltas == 0);
  }
  // A usage-only chunk ("choices": []) after real ones is still fine.
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::sse({chunk::content("ok"), chunk::finish("stop"), chunk::usage(3, 1), chunk::kDone}));
  auto completion = make_provider(config_for(upstream))->chat(request(true), nullptr, CancelToken());
  CHECK(completion.content == "ok");
}

TEST_CASE("upstream faults: hostile JSON in an answer is an upstream error, not an internal one") {
  std::vector<std::pair<std::string, std::string>> bodies = {
      {R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1e999}})", "the number 1e999"},
      {std::string(R"({"choices":[{"message":{"content":)") + std::string(200'000, '[') + "}]}", "nested more than"},
      {R"({"choices":[],"choices":[{"message":{"content":"x"}}]})", "appears twice"},
  };
  for (const auto& [body, says] : bodies) {
    FakeUpstream upstream;
    upstream.enqueue(ScriptedResponse::raw(200, "application/json", body));
    size_t deltas = 0;
    auto error = failed_chat(config_for(upstream), false, deltas);
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), says));
  }
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::sse({R"({"choices":[{"delta":{"content":"x"}}],"n":-1e999})", chunk::kDone}));
  size_t deltas = 0;
  auto error = failed_chat(config_for(upstream), true, deltas);
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(contains(error.what(), "the number -1e999"));
}

TEST_CASE("upstream faults: a stream of comments only ends at the total timeout") {
  FakeUpstream upstream;
  // Each comment resets the idle timeout; only the total deadline ends it.
  upstream.enqueue(ScriptedResponse::comments_forever(20ms));
  auto config = config_for(upstream);
  config.idle_timeout_ms = 5000;
  config.total_timeout_ms = 300;
  config.base_url += "?api-key=TOTAL-SECRET-5e1";  // the message names the URL, never its secret
  size_t deltas = 0;
  auto error = failed_chat(config, true, deltas);
  CHECK(error.kind() == ErrorKind::upstream_timeout);
  CHECK(contains(error.what(), "within 300 ms (total timeout)"));
  CHECK(contains(error.what(), "--total-timeout"));
  CHECK_FALSE(contains(error.what(), "TOTAL-SECRET-5e1"));
  CHECK(contains(error.what(), "api-key=****"));
}

TEST_CASE("upstream faults: the total timeout is a provider setting with a default, kept in the store") {
  ProviderConfig config;
  CHECK(config.total_timeout_ms == 600'000);
  config.total_timeout_ms = 1234;
  CHECK(ProviderConfig::from_json(config.to_json()).total_timeout_ms == 1234);
  auto http = upstream_request(config, "POST", "http://127.0.0.1:1/v1/chat/completions", {});
  CHECK(http.total_timeout_ms == 1234);
}

TEST_CASE("upstream faults: a 429's wait travels on the final error") {
  FakeUpstream upstream;
  upstream.enqueue(ScriptedResponse::json_body(429, {{"error", {{"message", "slow down"}}}}, {{"Retry-After", "7"}}));
  size_t deltas = 0;
  auto error = failed_chat(config_for(upstream), false, deltas);
  CHECK(error.kind() == ErrorKind::rate_limited);
  CHECK(error.retry_after_seconds() == 7);
  // A wait longer than weir retries for is passed on too, rounded up.
  upstream.enqueue(ScriptedResponse::json_body(429, {{"error", {{"message", "later"}}}}, {{"retry-after-ms", "45500"}}));
  auto later = failed_chat(config_for(upstream), false, deltas);
  CHECK(later.retry_after_seconds() == 46);
  // An absurd wait cannot overflow.
  upstream.enqueue(ScriptedResponse::json_body(429, {{"error", {{"message", "never"}}}},
                                               {{"Retry-After", "99999999999999999999999999"}}));
  CHECK(failed_chat(config_for(upstream), false, deltas).retry_after_seconds() == 365 * 24 * 3600);
}

TEST_CASE("upstream faults: a base URL with a query string keeps the query after the path") {
  ProviderConfig config;
  config.name = "azure";
  config.base_url = "https://example.test/openai/v1?api-version=2024-10-21";
  CHECK(upstream_url(config, "/chat/completions") ==
        "https://example.test/openai/v1/chat/completions?api-version=2024-10-21");
  config.base_url = "https://example.test/v1/?a=1&b=2#fragment";
  CHECK(upstream_url(config, "/models") == "https://example.test/v1/models?a=1&b=2");
  config.base_url = "https://example.test/v1/";
  CHECK(upstream_url(config, "/models") == "https://example.test/v1/models");

  // End to end: the upstream sees the right path and the query.
  FakeUpstream upstream;
  auto real = config_for(upstream);
  real.base_url = upstream.base_url() + "?api-version=X";
  auto completion = make_provider(real)->chat(request(false), nullptr, CancelToken());
  CHECK_FALSE(completion.content.empty());
  auto recorded = upstream.requests().back();
  CHECK(recorded.path == "/v1/chat/completions");
  CHECK(recorded.query["api-version"] == "X");
}
