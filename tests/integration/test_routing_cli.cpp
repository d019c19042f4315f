// Routing through the built binary against fake upstreams that fail on
// command: a 500, a 429 whose Retry-After is too long to wait for, a refused
// connection, a stalled socket, a stream cut after its first token. Through
// `weir chat -v` (attempts on stderr, exit codes), the request log, and
// `weir serve` (X-Weir-* headers, generation_context.routing, the circuit
// breaker shared by requests and its transitions in the server's log).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = weir::testing::openai_chunk;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

ScriptedResponse server_error() {
  return ScriptedResponse::json_body(500, {{"error", {{"message", "The server had an error"}, {"type", "server_error"}}}});
}

struct RoutingFixture {
  FakeUpstream first;
  FakeUpstream second;
  WeirHome home;

  RoutingFixture() {
    add_provider("one", first.base_url());
    add_provider("two", second.base_url());
  }
  void add_provider(const std::string& name, const std::string& url) {
    auto added = home.run({"provider", "add", name, "--base-url", url});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  }
  void gateway(const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"gateway", "create", "g"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    auto created = home.run(arguments);
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }
  json last_log_row() {
    auto listed = home.run({"--json", "logs", "list"});
    REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
    auto rows = json::parse(listed.out);
    REQUIRE(rows.is_array());
    REQUIRE(!rows.empty());
    auto shown = home.run({"--json", "logs", "show", rows[0]["id"].get<std::string>()});
    REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
    return json::parse(shown.out);
  }
};

}  // namespace

TEST_CASE("routing cli: --target and --route make the block; malformed targets and mixed forms are refused") {
  RoutingFixture fixture;
  fixture.gateway({"--target", "one/model-a", "--target", "two/model-b,weight=3,temperature=0.2", "--route",
                   "loadbalance", "--breaker-failures", "2"});
  auto shown = fixture.home.run({"--json", "gateway", "show", "g"});
  REQUIRE(shown.exit_code == 0);
  auto gateway = json::parse(shown.out);
  CHECK(gateway["routing"]["mode"] == "loadbalance");
  CHECK(gateway["routing"]["targets"][0] == json{{"provider", "one"}, {"model", "model-a"}});
  CHECK(gateway["routing"]["targets"][1] ==
        json{{"provider", "two"}, {"model", "model-b"}, {"weight", 3}, {"temperature", 0.2}});

  auto malformed = fixture.home.run({"gateway", "create", "bad", "--target", "no-slash"});
  CHECK(malformed.exit_code == 2);
  CHECK(contains(malformed.err, "PROVIDER/MODEL"));
  auto unknown_provider = fixture.home.run({"gateway", "create", "bad", "--target", "nobody/m"});
  CHECK(unknown_provider.exit_code == 3);
  CHECK(contains(unknown_provider.err, "'nobody' does not exist"));
  auto mixed = fixture.home.run({"gateway", "create", "bad", "--provider", "one", "--model", "m", "--target", "two/m"});
  CHECK(mixed.exit_code == 2);
  CHECK(contains(mixed.err, "--unset provider --unset model"));
  auto untiered = fixture.home.run({"gateway", "create", "bad", "--target", "one/m", "--route", "complexity"});
  CHECK(untiered.exit_code == 2);
  CHECK(contains(untiered.err, "needs a tier"));

  // A provider a gateway routes to is in use.
  auto removed = fixture.home.run({"provider", "remove", "two"});
  CHECK(removed.exit_code == 2);
  CHECK(contains(removed.err, "used by gateways: g"));
}

TEST_CASE("routing cli: a 500 falls through to the next target; chat -v prints each attempt; the log keeps them") {
  RoutingFixture fixture;
  fixture.gateway({"--target", "one/model-a", "--target", "two/model-b"});
  fixture.first.set_default(server_error());
  fixture.second.enqueue(ScriptedResponse::text_answer("from two", true));

  auto chat = fixture.home.run({"chat", "-v", "g", "hello"});
  REQUIRE_MESSAGE(chat.exit_code == 0, chat.err);
  CHECK(chat.out == "from two\n");
  CHECK(contains(chat.err, "one/model-a failed (server_error, HTTP 500)"));
  CHECK(contains(chat.err, "-> fall through"));
  CHECK(contains(chat.err, "two/model-b ok"));
  CHECK(fixture.first.request_count() == 1);  // no retries inside the target's adapter
  CHECK(json::parse(fixture.second.requests().at(0).body)["model"] == "model-b");

  auto row = fixture.last_log_row();
  CHECK(row["provider"] == "two");
  CHECK(row["model"] == "model-b");
  REQUIRE(row["routing"]["attempts"].size() == 2);
  CHECK(row["routing"]["attempts"][0]["failure"] == "server_error");
  CHECK(row["routing"]["attempts"][1]["outcome"] == "ok");
  // Usage is charged to the target that served.
  bool charged_to_two = false;
  for (const auto& line : row["usage_lines"]) charged_to_two |= contains(line.dump(), "model-b");
  CHECK(charged_to_two);
}

TEST_CASE("routing cli: a refused connection, a too-long Retry-After and a stalled socket all fall through") {
  RoutingFixture fixture;
  std::string closed_url;
  {
    FakeUpstream gone;
    closed_url = gone.base_url();
  }
  fixture.add_provider("gone", closed_url);
  fixture.gateway({"--target", "gone/m", "--target", "one/model-a", "--target", "two/model-b", "--attempt-timeout-ms",
                   "20000", "--route-attempts", "2"});
  fixture.first.enqueue(ScriptedResponse::json_body(
      429, {{"error", {{"message", "Rate limit reached"}, {"type", "requests"}}}}, {{"Retry-After", "120"}}));
  fixture.second.set_default(ScriptedResponse::text_answer("from two", false));

  // gone: refused twice; one: 429 asking for 120 s (beyond the 30 s cap), so no second try; two answers.
  auto chat = fixture.home.run({"chat", "-v", "g", "hello"});
  REQUIRE_MESSAGE(chat.exit_code == 0, chat.err);
  CHECK(chat.out == "from two\n");
  CHECK(contains(chat.err, "gone/m failed (connection)"));
  CHECK(contains(chat.err, "one/model-a failed (rate_limit, HTTP 429)"));
  CHECK(fixture.first.request_count() == 1);

  // A stalled first target: the attempt timeout ends it and the next answers
  // (1.5 s: long enough for a healthy answer on a loaded sanitizer build).
  auto created = fixture.home.run({"gateway", "create", "g2", "--target", "one/model-a", "--target", "two/model-b",
                                   "--attempt-timeout-ms", "1500"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  fixture.first.enqueue(ScriptedResponse::stalled({chunk::role()}, std::chrono::seconds(60)));
  auto stalled = fixture.home.run({"chat", "-v", "g2", "hello"});
  REQUIRE_MESSAGE(stalled.exit_code == 0, stalled.err);
  CHECK(stalled.out == "from two\n");
  CHECK(contains(stalled.err, "one/model-a failed (timeout)"));
}

TEST_CASE("routing cli: no fall over once the first token reached the caller") {
  RoutingFixture fixture;
  fixture.gateway({"--target", "one/model-a", "--target", "two/model-b"});
  fixture.first.enqueue(ScriptedResponse::raw_stream({"data: " + chunk::content("Hel") + "\n\n"}, "text/event-stream"));
  auto chat = fixture.home.run({"chat", "g", "hello"});
  CHECK(chat.exit_code == 4);
  CHECK(contains(chat.out, "Hel"));
  CHECK(fixture.second.request_count() == 0);
}

TEST_CASE("routing cli: a stream cut after its usage arrived is charged to its target in the log") {
  RoutingFixture fixture;
  fixture.gateway({"--target", "one/gpt-4o-mini", "--target", "two/model-b"});
  fixture.first.enqueue(ScriptedResponse::raw_stream(
      {"data: " + chunk::content("Hel") + "\n\n", "data: " + chunk::usage(120, 9) + "\n\n"}, "text/event-stream"));
  auto chat = fixture.home.run({"chat", "g", "hello"});
  CHECK(chat.exit_code == 4);
  auto row = fixture.last_log_row();
  CHECK(row["status"] == "error");
  REQUIRE(row["usage_lines"].is_array());
  REQUIRE(!row["usage_lines"].empty());
  int64_t input_tokens = 0;
  for (const auto& line : row["usage_lines"])
    if (line.value("sku", "").find("input") != std::string::npos) input_tokens += line.value("quantity", int64_t{0});
  CHECK(input_tokens == 120);
}

TEST_CASE("routing serve: headers name the target and tries; the breaker is shared by requests and logged") {
  RoutingFixture fixture;
  fixture.gateway({"--target", "one/model-a", "--target", "two/model-b", "--breaker-failures", "1",
                   "--breaker-cooldown-ms", "600000"});
  fixture.first.set_default(server_error());
  fixture.second.set_default(ScriptedResponse::text_answer("from two", false));
  ServeProcess serve(fixture.home);
  auto body = [](bool stream) {
    return json{{"model", "g"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}, {"stream", stream}}
        .dump();
  };

  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", body(false));
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  CHECK(reply.header("x-weir-target") == "two/model-b");
  CHECK(reply.header("x-weir-attempts") == "2");
  auto answer = json::parse(reply.body);
  CHECK(answer["choices"][0]["message"]["content"] == "from two");
  CHECK(answer["generation_context"]["routing"]["served"]["target"] == "two/model-b");
  CHECK(answer["generation_context"]["routing"]["attempts"][0]["status"] == 500);
  CHECK(serve.wait_for_stderr("circuit of one/model-a closed -> open"));

  // The open circuit is the process's: the next request skips one at once.
  fixture.second.set_default(ScriptedResponse::text_answer("streamed from two", true));
  auto streamed = http_request(serve.port(), "POST", "/v1/chat/completions", body(true));
  REQUIRE_MESSAGE(streamed.status == 200, streamed.body);
  CHECK(streamed.header("x-weir-target") == "two/model-b");
  CHECK(streamed.header("x-weir-attempts") == "1");
  CHECK(contains(streamed.body, "streamed from two"));
  CHECK(fixture.first.request_count() == 1);
}
