// Limits and budgets through the built binary: counters beside the store shared
// by two `weir serve` on one home and by `weir chat` beside them, kept across
// restarts; a public key's limits per remote address; budgets counting
// streamed, non-streamed and client-cancelled requests, refusing only after
// the request that crossed them.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "core/gateway/identifiers.hpp"
#include "core/policy/limit_ledger.hpp"
#include "core/store/database.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
namespace chunk = openai_chunk;

namespace {

struct LimitsFixture {
  FakeUpstream upstream;
  WeirHome home;

  LimitsFixture() {
    upstream.set_default(ScriptedResponse::json_body(200, chat_completion("ok", "stop", 10, 5)));
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  void gateway(const std::string& name, const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"gateway", "create", name, "--provider", "fake", "--model", "fake-model"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    run_ok(arguments);
  }
  json logs(size_t rows) {
    json listed;
    wait_for_store(home.path(), [&] {
      listed = json::parse(run_ok({"logs", "--json", "--limit", "1000"}).out);
      return listed.size() >= rows;
    });
    return listed;
  }
};

}  // namespace

TEST_CASE("limits: tokens per minute hold across two weir serve processes on one store") {
  LimitsFixture fixture;
  fixture.gateway("metered", {"--max-tokens", "20", "--limit-tpm", "300"});
  ServeProcess first(fixture.home);
  ServeProcess second(fixture.home);

  struct Outcome {
    int served = 0;
    HttpReply refusal;
  };
  auto drive = [](int port, Outcome& outcome) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto reply = post_chat(port, {{"model", "metered"}, {"prompt", "hi"}});
      if (reply.status != 200) {
        outcome.refusal = reply;
        return;
      }
      ++outcome.served;
    }
  };
  Outcome one, two;
  std::thread a([&] { drive(first.port(), one); });
  std::thread b([&] { drive(second.port(), two); });
  a.join();
  b.join();

  for (auto* outcome : {&one, &two}) {
    REQUIRE(outcome->refusal.status == 429);
    auto error = body_json(outcome->refusal)["error"];
    CHECK(error["code"] == "rate_limit_exceeded");
    CHECK(error["message"].get<std::string>().find("tokens_per_minute") != std::string::npos);
    auto retry = std::stoi(outcome->refusal.header("retry-after"));
    CHECK(retry >= 1);
    CHECK(retry <= 60);
  }
  CHECK(one.served + two.served > 0);

  // Every served request's real tokens, from the log, equal what the
  // counters hold; no window holds more than the limit.
  auto rows = fixture.logs(static_cast<size_t>(one.served + two.served + 2));
  long long logged = 0;
  int ok_rows = 0;
  for (const auto& row : rows)
    if (row["status"] == "ok") {
      logged += row["prompt_tokens"].get<long long>() + row["completion_tokens"].get<long long>();
      ++ok_rows;
    }
  CHECK(ok_rows == one.served + two.served);
  auto id = json::parse(fixture.run_ok({"gateway", "show", "metered", "--json"}).out)["id"].get<std::string>();
  weir::Database database(fixture.home.path() + "/weir.db");
  long long counted = 0;
  for (auto [window, used] : weir::LimitLedger(database).counter_windows("gateway:" + id + ":tokens_per_minute")) {
    CHECK(used <= 300);
    counted += used;
  }
  CHECK(counted == logged);
}

TEST_CASE("limits: counters outlive the process: weir chat twice, then chat and serve are refused") {
  LimitsFixture fixture;
  fixture.gateway("daily", {"--limit-rpd", "2"});
  fixture.run_ok({"chat", "daily", "hello"});
  fixture.run_ok({"chat", "daily", "hello"});
  auto third = fixture.home.run({"chat", "daily", "hello"});
  CHECK(third.exit_code == 6);
  CHECK(third.err.find("requests_per_day") != std::string::npos);
  CHECK(third.err.find("gateway 'daily'") != std::string::npos);

  ServeProcess serve(fixture.home);
  auto refused = post_chat(serve.port(), {{"model", "daily"}, {"prompt", "hi"}});
  CHECK(refused.status == 429);
  CHECK(std::stoi(refused.header("retry-after")) >= 1);
  CHECK(fixture.upstream.request_count() == 2);
}

TEST_CASE("limits: a public key's limits count per remote address") {
  LimitsFixture fixture;
  fixture.gateway("public", {});
  auto id = json::parse(fixture.run_ok({"gateway", "show", "public", "--json"}).out)["id"].get<std::string>();
  auto key = json::parse(fixture.run_ok({"key", "create", "app", "--public", "--limit-rpm", "1", "--json"}).out);
  CHECK(key["limits"]["requests_per_minute"] == 1);
  ServeProcess serve(fixture.home);
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + key["key"].get<std::string>()}};
  CHECK(post_chat(serve.port(), {{"model", id}, {"prompt", "hi"}}, auth).status == 200);
  auto refused = post_chat(serve.port(), {{"model", id}, {"prompt", "hi"}}, auth);
  REQUIRE(refused.status == 429);
  CHECK(body_json(refused)["error"]["message"].get<std::string>().find("API key 'app' from 127.0.0.1") !=
        std::string::npos);
  weir::Database database(fixture.home.path() + "/weir.db");
  auto names = weir::LimitLedger(database).counter_names("key:" + key["id"].get<std::string>() + "@");
  CHECK(names == std::vector<std::string>{"key:" + key["id"].get<std::string>() + "@127.0.0.1:requests_per_minute"});
}

TEST_CASE("budgets: streamed, non-streamed and cancelled requests are counted; the crossing request is the last") {
  LimitsFixture fixture;
  // 10 prompt tokens at $10000/M and 5 completion tokens at $20000/M: $0.20 a request.
  std::ofstream(fixture.home.path() + "/prices.json") << R"({"fake-model": {"input": 10000, "output": 20000}})";
  fixture.gateway("capped", {"--budget-day", "1", "--system", "Be brief."});
  ServeProcess serve(fixture.home);

  auto plain = post_chat(serve.port(), {{"model", "capped"}, {"prompt", "hi"}});
  REQUIRE(plain.status == 200);
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("streamed"), chunk::finish("stop"), chunk::usage(10, 5), chunk::kDone}));
  auto streamed = post_chat(serve.port(), {{"model", "capped"}, {"prompt", "hi"}, {"stream", true}});
  REQUIRE(streamed.status == 200);
  {
    fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("partial words")}, 30s));
    RawConnection connection(serve.port());
    std::string body = json{{"model", "capped"}, {"prompt", "hi"}, {"stream", true}}.dump();
    connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    REQUIRE(connection.read_until("partial words", 10s));
    connection.close();
  }
  auto rows = fixture.logs(3);
  double logged = 0;
  std::set<std::string> statuses;
  for (const auto& row : rows) {
    logged += row["cost"].get<double>();
    statuses.insert(row["status"].get<std::string>());
    CHECK(row["cost"].get<double>() > 0);
  }
  CHECK(statuses == std::set<std::string>{"ok", "cancelled"});
  auto shown = json::parse(fixture.run_ok({"budget", "show", "--json"}).out);
  REQUIRE(shown.size() == 1);
  CHECK(shown[0]["scope"] == "gateway 'capped'");
  CHECK(shown[0]["spent"].get<double>() == doctest::Approx(logged));

  // Requests until one is refused: the one before it crossed $1.
  HttpReply refused;
  int served = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    refused = post_chat(serve.port(), {{"model", "capped"}, {"prompt", "hi"}});
    if (refused.status != 200) break;
    ++served;
  }
  REQUIRE(refused.status == 429);
  auto error = body_json(refused)["error"];
  CHECK(error["code"] == "budget_exceeded");
  CHECK(error["message"].get<std::string>().find("resets at") != std::string::npos);
  auto now = weir::now_milliseconds();
  auto to_midnight = (86'400'000 - now % 86'400'000) / 1000;
  CHECK(std::abs(std::stoll(refused.header("retry-after")) - to_midnight) <= 2);
  auto spent = json::parse(fixture.run_ok({"budget", "show", "--json"}).out)[0]["spent"].get<double>();
  CHECK(spent >= 1.0);
  CHECK(spent - 0.2 < 1.0);  // without the last served request, still under
  CHECK(served == static_cast<int>((1.0 - logged) / 0.2 + 0.999999));
}

TEST_CASE("budgets: action warn answers with X-Weir-Budget-Warning and notes it in the log") {
  LimitsFixture fixture;
  std::ofstream(fixture.home.path() + "/prices.json") << R"({"fake-model": {"input": 10000, "output": 20000}})";
  fixture.gateway("warned", {"--budget-day", "0.1", "--budget-action", "warn"});
  ServeProcess serve(fixture.home);
  auto first = post_chat(serve.port(), {{"model", "warned"}, {"prompt", "hi"}});
  CHECK(first.header("x-weir-budget-warning").empty());
  auto second = post_chat(serve.port(), {{"model", "warned"}, {"prompt", "hi"}});
  REQUIRE(second.status == 200);
  CHECK(second.header("x-weir-budget-warning").find("usd_per_day") != std::string::npos);
  auto rows = fixture.logs(2);
  CHECK(rows[0]["metadata"]["budget_warning"].is_array());
}

TEST_CASE("budgets: a provider's budget counts what it served, streamed and cancelled too, and blocks after the crossing request") {
  LimitsFixture fixture;
  std::ofstream(fixture.home.path() + "/prices.json") << R"({"fake-model": {"input": 10000, "output": 20000}})";
  fixture.run_ok({"provider", "update", "fake", "--budget-day", "0.9"});
  fixture.gateway("open", {});
  ServeProcess serve(fixture.home);

  REQUIRE(post_chat(serve.port(), {{"model", "open"}, {"prompt", "hi"}}).status == 200);
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("streamed"), chunk::finish("stop"), chunk::usage(10, 5), chunk::kDone}));
  REQUIRE(post_chat(serve.port(), {{"model", "open"}, {"prompt", "hi"}, {"stream", true}}).status == 200);
  {
    fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("partial words")}, 30s));
    RawConnection connection(serve.port());
    std::string body = json{{"model", "open"}, {"prompt", "hi"}, {"stream", true}}.dump();
    connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    REQUIRE(connection.read_until("partial words", 10s));
    connection.close();
  }
  auto rows = fixture.logs(3);
  double logged = 0;
  for (const auto& row : rows) logged += row["cost"].get<double>();
  auto shown = json::parse(fixture.run_ok({"budget", "show", "--json"}).out);
  REQUIRE(shown.size() == 1);
  CHECK(shown[0]["scope"] == "provider 'fake'");
  CHECK(shown[0]["spent"].get<double>() == doctest::Approx(logged));

  HttpReply refused;
  int served = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    refused = post_chat(serve.port(), {{"model", "open"}, {"prompt", "hi"}});
    if (refused.status != 200) break;
    ++served;
  }
  REQUIRE(refused.status == 429);
  auto error = body_json(refused)["error"];
  CHECK(error["code"] == "budget_exceeded");
  CHECK(error["message"].get<std::string>().find("provider 'fake'") != std::string::npos);
  CHECK(std::stoll(refused.header("retry-after")) >= 1);
  auto spent = json::parse(fixture.run_ok({"budget", "show", "--json"}).out)[0]["spent"].get<double>();
  CHECK(spent >= 0.9);
  CHECK(spent - 0.2 < 0.9);  // the last request served crossed it
  CHECK(served == static_cast<int>((0.9 - logged) / 0.2 + 0.999999));
}

TEST_CASE("budgets: with routing, a provider over its budget is skipped for the next target; none left is a 429") {
  LimitsFixture fixture;
  std::ofstream(fixture.home.path() + "/prices.json") << R"({"fake-model": {"input": 10000, "output": 20000}})";
  fixture.run_ok({"provider", "update", "fake", "--budget-day", "0.1"});
  fixture.run_ok({"provider", "add", "spare", "--base-url", fixture.upstream.base_url(), "--max-retries", "0",
                  "--budget-day", "0.3"});
  fixture.run_ok({"gateway", "create", "routed", "--target", "fake/fake-model", "--target", "spare/fake-model"});
  ServeProcess serve(fixture.home);

  // $0.20 each: the first crosses fake's $0.10, the next two go to spare,
  // the second of them crossing its $0.30; then no target is left.
  std::vector<std::string> servers;
  for (int index = 0; index < 3; ++index) {
    auto reply = post_chat(serve.port(), {{"model", "routed"}, {"prompt", "hi"}});
    REQUIRE(reply.status == 200);
    servers.push_back(body_json(reply)["generation_context"]["routing"]["served"].dump());
  }
  CHECK(servers[0].find("fake/") != std::string::npos);
  CHECK(servers[1].find("spare/") != std::string::npos);
  CHECK(servers[2].find("spare/") != std::string::npos);
  auto refused = post_chat(serve.port(), {{"model", "routed"}, {"prompt", "hi"}});
  REQUIRE(refused.status == 429);
  auto error = body_json(refused)["error"];
  CHECK(error["code"] == "budget_exceeded");
  CHECK(error["message"].get<std::string>().find("provider 'fake'") != std::string::npos);
  CHECK(error["message"].get<std::string>().find("provider 'spare'") != std::string::npos);
  CHECK(fixture.upstream.request_count() == 3);
  auto shown = json::parse(fixture.run_ok({"budget", "show", "--json"}).out);
  REQUIRE(shown.size() == 2);
}
