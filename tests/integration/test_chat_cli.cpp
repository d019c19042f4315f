// `weir chat` end to end: the built binary, a temporary home, and an
// in-process fake upstream speaking the OpenAI wire format.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <fstream>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
namespace chunk = openai_chunk;

namespace {

struct ChatFixture {
  FakeUpstream upstream;
  WeirHome home;

  ChatFixture() {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "2"});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  }
  void create_gateway(const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"gateway", "create"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    auto created = home.run(arguments);
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }
  json last_body() const {
    auto requests = upstream.requests();
    REQUIRE(!requests.empty());
    return requests.back().json_body;
  }
};

std::vector<std::string> full_gateway = {
    "assistant", "--provider", "fake", "--model", "fake-model", "--system", "You are terse.", "--temperature", "0.2",
    "--top-p", "0.9", "--max-tokens", "64", "--prefill", "Answer:", "--stop", "END", "--stop", "STOP"};

}  // namespace

TEST_CASE("the upstream receives exactly the gateway's request, streaming") {
  ChatFixture fixture;
  fixture.create_gateway(full_gateway);
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content(" forty"), chunk::content("-two"),
                                                  chunk::finish("stop"), chunk::usage(12, 3), chunk::kDone}));
  auto result = fixture.home.run({"chat", "assistant", "what", "is", "six", "times", "seven?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "Answer: forty-two\n");  // the printed answer starts with the prefill

  json expected = {
      {"model", "fake-model"},
      {"messages", json::array({{{"role", "system"}, {"content", "You are terse."}},
                                {{"role", "user"}, {"content", "what is six times seven?"}},
                                {{"role", "assistant"}, {"content", "Answer:"}}})},
      {"temperature", 0.2},
      {"top_p", 0.9},
      {"max_tokens", 64},
      {"stop", json::array({"END", "STOP"})},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
  };
  CHECK(fixture.last_body() == expected);
  auto request = fixture.upstream.requests().back();
  CHECK(request.path == "/v1/chat/completions");
  CHECK(request.header("Authorization").empty());  // the provider has no key
}

TEST_CASE("non-streaming chat sends stream:false and prints the whole answer") {
  ChatFixture fixture;
  fixture.create_gateway(full_gateway);
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion(" done", "stop", 20, 2)));
  auto result = fixture.home.run({"chat", "assistant", "--no-stream", "hi"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "Answer: done\n");
  auto body = fixture.last_body();
  CHECK(body["stream"] == false);
  CHECK_FALSE(body.contains("stream_options"));
  CHECK(body["messages"].back() == json({{"role", "assistant"}, {"content", "Answer:"}}));
}

TEST_CASE("--json prints the final chat.completion with generation_context") {
  ChatFixture fixture;
  fixture.create_gateway({"priced", "--provider", "fake", "--model", "gpt-4o-mini"});
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("hello"), chunk::finish("stop"), chunk::usage(1000, 500), chunk::kDone}));
  auto result = fixture.home.run({"--json", "chat", "priced", "hi"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto response = json::parse(result.out);
  CHECK(response["object"] == "chat.completion");
  CHECK(response["choices"][0]["message"]["content"] == "hello");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK(response["usage"]["prompt_tokens"] == 1000);
  CHECK(response["usage"]["completion_tokens"] == 500);
  auto lines = response["generation_context"]["generated_usage"];
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["sku"] == "fake/gpt-4o-mini:input_tokens");
  CHECK(lines[0]["quantity"] == 1000);
  CHECK(lines[0]["amount"].get<double>() == doctest::Approx(1000 * 0.15 / 1e6));
  CHECK(lines[1]["sku"] == "fake/gpt-4o-mini:output_tokens");
  CHECK(lines[1]["amount"].get<double>() == doctest::Approx(500 * 0.60 / 1e6));
  CHECK(response["generation_context"]["runned_functions"] == json::array());

  // The request log row agrees.
  auto logs = fixture.home.run({"logs", "--json"});
  REQUIRE(logs.exit_code == 0);
  auto rows = json::parse(logs.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["status"] == "ok");
  CHECK(rows[0]["gateway"] == "priced");
  CHECK(rows[0]["model"] == "gpt-4o-mini");
  CHECK(rows[0]["prompt_tokens"] == 1000);
  CHECK(rows[0]["cost"].get<double>() == doctest::Approx((1000 * 0.15 + 500 * 0.60) / 1e6));
  CHECK(rows[0]["time_to_first_token_ms"].is_number());
  CHECK(rows[0]["id"] == response["generation_context"]["request_id"]);
  auto shown = fixture.home.run({"logs", "show", rows[0]["id"].get<std::string>().substr(0, 30), "--json"});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  CHECK(json::parse(shown.out)["id"] == rows[0]["id"]);
}

TEST_CASE("an unknown model gets usage lines with amount 0; a price file overrides") {
  ChatFixture fixture;
  fixture.create_gateway({"local-model", "--provider", "fake", "--model", "my-own-model"});
  fixture.upstream.set_default(ScriptedResponse::sse(
      {chunk::role(), chunk::content("x"), chunk::finish("stop"), chunk::usage(100, 10), chunk::kDone}));
  auto unpriced = fixture.home.run({"--json", "chat", "local-model", "hi"});
  REQUIRE_MESSAGE(unpriced.exit_code == 0, unpriced.err);
  auto lines = json::parse(unpriced.out)["generation_context"]["generated_usage"];
  CHECK(lines[0]["quantity"] == 100);
  CHECK(lines[0]["amount"] == 0.0);

  std::ofstream(fixture.home.path() + "/prices.json") << R"({"my-own-model": {"input": 1.0, "output": 2.0}})";
  auto priced = fixture.home.run({"--json", "chat", "local-model", "hi"});
  REQUIRE_MESSAGE(priced.exit_code == 0, priced.err);
  lines = json::parse(priced.out)["generation_context"]["generated_usage"];
  CHECK(lines[0]["amount"].get<double>() == doctest::Approx(100 * 1.0 / 1e6));
  CHECK(lines[1]["amount"].get<double>() == doctest::Approx(10 * 2.0 / 1e6));

  std::ofstream(fixture.home.path() + "/prices.json") << "{not json";
  auto broken = fixture.home.run({"chat", "local-model", "hi"});
  CHECK(broken.exit_code == 2);
  CHECK(broken.err.find("prices.json") != std::string::npos);
}

TEST_CASE("a fragmented tool-call stream is assembled, and client tools pass through") {
  ChatFixture fixture;
  fixture.create_gateway({"tools", "--provider", "fake", "--model", "m"});
  fixture.upstream.enqueue(ScriptedResponse::sse({
      chunk::role(),
      chunk::tool_call(0, "call_1", "get_weather", ""),
      chunk::tool_call(0, "", "", "{\"city\":"),
      chunk::tool_call(1, "call_2", "get_time", "{\"tz\""),
      chunk::tool_call(0, "", "", "\"Paris\"}"),
      chunk::tool_call(1, "", "", ":\"CET\"}"),
      chunk::finish("tool_calls"),
      chunk::kDone,
  }));
  json tools = json::array({{{"type", "function"},
                             {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}});
  auto result = fixture.home.run({"--json", "chat", "tools", "weather?", "-o", "tools=" + tools.dump()});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto choice = json::parse(result.out)["choices"][0];
  CHECK(choice["finish_reason"] == "tool_calls");
  auto calls = choice["message"]["tool_calls"];
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]["id"] == "call_1");
  CHECK(calls[0]["function"]["name"] == "get_weather");
  CHECK(calls[0]["function"]["arguments"] == "{\"city\":\"Paris\"}");
  CHECK(calls[1]["function"]["arguments"] == "{\"tz\":\"CET\"}");
  CHECK(fixture.last_body()["tools"] == tools);
}

TEST_CASE("429 then 200 is retried and answers") {
  ChatFixture fixture;
  fixture.create_gateway({"g", "--provider", "fake", "--model", "m"});
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      429, {{"error", {{"message", "slow down"}, {"type", "rate_limit"}}}}, {{"Retry-After", "0"}}));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("recovered", true));
  auto result = fixture.home.run({"chat", "g", "hi"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "recovered\n");
  CHECK(fixture.upstream.request_count() == 2);
}

TEST_CASE("upstream failures map to exit codes with the upstream's message") {
  ChatFixture fixture;
  fixture.create_gateway({"g", "--provider", "fake", "--model", "m"});

  SUBCASE("500 -> exit 4") {
    fixture.upstream.set_default(
        ScriptedResponse::json_body(500, {{"error", {{"message", "the GPU caught fire"}, {"type", "server"}}}}));
    auto result = fixture.home.run({"chat", "g", "hi"});
    CHECK(result.exit_code == 4);
    CHECK(result.err.find("the GPU caught fire") != std::string::npos);
    CHECK(result.out.empty());
    CHECK(fixture.upstream.request_count() == 3);  // first try + 2 retries
  }
  SUBCASE("429 forever -> exit 6") {
    fixture.upstream.set_default(ScriptedResponse::json_body(
        429, {{"error", {{"message", "quota exceeded"}}}}, {{"Retry-After", "0"}}));
    auto result = fixture.home.run({"chat", "g", "hi"});
    CHECK(result.exit_code == 6);
    CHECK(result.err.find("quota exceeded") != std::string::npos);
  }
  SUBCASE("malformed SSE -> exit 4, clear message, no crash") {
    fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), "{this is not json", chunk::kDone}));
    auto result = fixture.home.run({"chat", "g", "hi"});
    CHECK(result.exit_code == 4);
    CHECK(result.err.find("malformed") != std::string::npos);
  }
  SUBCASE("an error object mid-stream -> exit 4") {
    fixture.upstream.enqueue(ScriptedResponse::sse(
        {chunk::role(), chunk::content("par"), R"({"error":{"message":"model overloaded"}})", chunk::kDone}));
    auto result = fixture.home.run({"chat", "g", "hi"});
    CHECK(result.exit_code == 4);
    CHECK(result.err.find("model overloaded") != std::string::npos);
  }
  SUBCASE("nothing listening -> exit 4 naming the URL") {
    auto result = fixture.home.run({"chat", "@llamacpp/any", "hi"}, "", 20s);
    CHECK(result.exit_code == 4);
    CHECK(result.err.find("127.0.0.1:8080") != std::string::npos);
  }
  // Every failure is in the request log.
  auto logs = json::parse(fixture.home.run({"logs", "--json"}).out);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["status"] == "error");
  CHECK_FALSE(logs[0]["error"].get<std::string>().empty());
}

TEST_CASE("a stalled upstream hits the idle timeout cleanly") {
  ChatFixture fixture;
  auto updated = fixture.home.run({"provider", "add", "fake", "--idle-timeout", "400", "--max-retries", "0"});
  REQUIRE(updated.exit_code == 0);
  fixture.create_gateway({"g", "--provider", "fake", "--model", "m"});
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("thinking")}, 20s));
  auto start = std::chrono::steady_clock::now();
  auto result = fixture.home.run({"chat", "g", "hi"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(result.exit_code == 4);
  CHECK(result.err.find("idle") != std::string::npos);
  CHECK(elapsed < 5s);
  CHECK(result.out == "thinking\n");  // what arrived was shown, and the line is finished
}

TEST_CASE("API keys: sent as a bearer token, 401 names the variable, a missing variable sends nothing") {
  FakeUpstream upstream;
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "keyed", "--base-url", upstream.base_url(), "--api-key-env",
                    "WEIR_TEST_KEY"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "keyed", "--model", "m"}).exit_code == 0);

  auto missing = home.run({"chat", "g", "hi"});
  CHECK(missing.exit_code == 5);
  CHECK(missing.err.find("WEIR_TEST_KEY") != std::string::npos);
  CHECK(upstream.request_count() == 0);

  home.environment["WEIR_TEST_KEY"] = "sk-secret-value";
  upstream.enqueue(ScriptedResponse::text_answer("ok", true));
  auto sent = home.run({"chat", "g", "hi"});
  REQUIRE_MESSAGE(sent.exit_code == 0, sent.err);
  CHECK(upstream.requests().back().header("Authorization") == "Bearer sk-secret-value");

  upstream.enqueue(ScriptedResponse::json_body(401, {{"error", {{"message", "Incorrect API key provided"}}}}));
  auto rejected = home.run({"chat", "g", "hi"});
  CHECK(rejected.exit_code == 5);
  CHECK(rejected.err.find("WEIR_TEST_KEY") != std::string::npos);
  CHECK(rejected.err.find("Incorrect API key provided") != std::string::npos);
  CHECK(rejected.err.find("sk-secret-value") == std::string::npos);

  // The key never shows in provider output or a dry run.
  auto shown = home.run({"provider", "show", "keyed", "--json"});
  CHECK(shown.out.find("sk-secret-value") == std::string::npos);
  auto dry = home.run({"chat", "g", "hi", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.find("sk-secret-value") == std::string::npos);
  CHECK(json::parse(dry.out)["headers"]["Authorization"] == "Bearer $WEIR_TEST_KEY");
}

TEST_CASE("an api_key_cmd is run and its output used as the key") {
  FakeUpstream upstream;
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "cmd", "--base-url", upstream.base_url(), "--api-key-cmd",
                    "printf 'from-command\\n'"}).exit_code == 0);
  upstream.enqueue(ScriptedResponse::text_answer("ok", true));
  auto result = home.run({"chat", "@cmd/m", "hi"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(upstream.requests().back().header("Authorization") == "Bearer from-command");

  REQUIRE(home.run({"provider", "add", "cmd", "--api-key-cmd", "exit 3"}).exit_code == 0);
  auto failed = home.run({"chat", "@cmd/m", "hi"});
  CHECK(failed.exit_code == 5);
  CHECK(upstream.request_count() == 1);
}

TEST_CASE("targets: unknown gateway is exit 3; slug, id and @provider/model resolve") {
  ChatFixture fixture;
  fixture.create_gateway({"writer", "--provider", "fake", "--model", "m"});
  auto unknown = fixture.home.run({"chat", "writter", "hi"});
  CHECK(unknown.exit_code == 3);
  CHECK(unknown.err.find("did you mean: writer") != std::string::npos);
  CHECK(fixture.upstream.request_count() == 0);

  auto shown = json::parse(fixture.home.run({"gateway", "show", "writer", "--json"}).out);
  std::string id = shown["id"];
  std::string slug = shown["slug"];
  CHECK(slug == "writer:" + id.substr(id.size() - 4));
  fixture.upstream.set_default(ScriptedResponse::text_answer("ok", true));
  for (const auto& target : {id, slug, std::string("writer")}) {
    auto result = fixture.home.run({"chat", target, "hi"});
    CHECK_MESSAGE(result.exit_code == 0, target, result.err);
  }
  auto wrong_slug = fixture.home.run({"chat", "writer:zzzz", "hi"});
  CHECK(wrong_slug.exit_code == 3);

  auto bare = fixture.home.run({"chat", "@fake/raw-model", "hi"});
  REQUIRE_MESSAGE(bare.exit_code == 0, bare.err);
  CHECK(fixture.last_body()["model"] == "raw-model");
  CHECK(fixture.home.run({"chat", "@nosuch/m", "hi"}).exit_code == 3);
}

TEST_CASE("piped standard input joins the message") {
  ChatFixture fixture;
  fixture.create_gateway({"g", "--provider", "fake", "--model", "m"});
  fixture.upstream.set_default(ScriptedResponse::text_answer("ok", true));
  auto result = fixture.home.run({"chat", "g", "summarise"}, "line one\nline two\n");
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(fixture.last_body()["messages"][0]["content"] == "summarise\n\nline one\nline two\n");

  auto only_stdin = fixture.home.run({"chat", "g"}, "just this");
  REQUIRE(only_stdin.exit_code == 0);
  CHECK(fixture.last_body()["messages"][0]["content"] == "just this");

  auto nothing = fixture.home.run({"chat", "g"});
  CHECK(nothing.exit_code == 2);
}

TEST_CASE("sessions keep the conversation across calls") {
  ChatFixture fixture;
  fixture.create_gateway({"g", "--provider", "fake", "--model", "m", "--system", "sys"});
  fixture.upstream.enqueue(ScriptedResponse::text_answer("first answer", true));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("second answer", true));
  REQUIRE(fixture.home.run({"chat", "g", "--session", "work", "one"}).exit_code == 0);
  REQUIRE(fixture.home.run({"chat", "g", "--session", "work", "two"}).exit_code == 0);
  json expected = json::array({{{"role", "system"}, {"content", "sys"}},
                               {{"role", "user"}, {"content", "one"}},
                               {{"role", "assistant"}, {"content", "first answer"}},
                               {{"role", "user"}, {"content", "two"}}});
  CHECK(fixture.last_body()["messages"] == expected);

  // A failed turn leaves the session as it was.
  fixture.upstream.enqueue(ScriptedResponse::json_body(400, {{"error", {{"message", "bad"}}}}));
  CHECK(fixture.home.run({"chat", "g", "--session", "work", "three"}).exit_code == 4);
  fixture.upstream.enqueue(ScriptedResponse::text_answer("ok", true));
  REQUIRE(fixture.home.run({"chat", "g", "--session", "work", "four"}).exit_code == 0);
  CHECK(fixture.last_body()["messages"].size() == 6);
  CHECK(fixture.last_body()["messages"][5]["content"] == "four");
}

TEST_CASE("Ctrl-C stops the stream, exits 130 and keeps what arrived in the session") {
  ChatFixture fixture;
  fixture.create_gateway({"g", "--provider", "fake", "--model", "m"});
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("partial ans")}, 30s));
  auto process = fixture.home.start({"chat", "g", "--session", "s", "question"});
  // Wait until the answer so far is on the screen: then Ctrl-C lands mid-stream.
  REQUIRE(process->wait_for_output("partial ans"));
  auto start = std::chrono::steady_clock::now();
  process->send_signal(SIGINT);
  auto result = process->wait(10s);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(result.exit_code == 130);
  CHECK(result.out == "partial ans\n");

  fixture.upstream.enqueue(ScriptedResponse::text_answer("ok", true));
  REQUIRE(fixture.home.run({"chat", "g", "--session", "s", "next"}).exit_code == 0);
  auto messages = fixture.last_body()["messages"];
  REQUIRE(messages.size() == 3);
  CHECK(messages[1] == json({{"role", "assistant"}, {"content", "partial ans"}}));

  auto logs = json::parse(fixture.home.run({"logs", "--json"}).out);
  CHECK(logs[1]["status"] == "cancelled");
}

TEST_CASE("invalid UTF-8 input is a usage error naming the message, and nothing is sent") {
  ChatFixture fixture;
  fixture.create_gateway({"g", "--provider", "fake", "--model", "m"});
  for (const char* flag : {"--dry-run", "--no-stream"}) {
    auto result = fixture.home.run({"chat", "g", flag}, "bad \xff\xfe bytes");
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("not valid UTF-8") != std::string::npos);
    CHECK(result.err.find("internal error") == std::string::npos);
  }
  CHECK(fixture.upstream.request_count() == 0);
}
