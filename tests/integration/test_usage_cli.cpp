// `weir usage` and the `weir logs` filters against the request log: every
// figure equals the sums of the rows `weir logs --json` shows; on a terminal
// (a pty from script(1)) bars and a sparkline, piped plain text.
#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include <signal.h>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

struct UsageFixture {
  FakeUpstream upstream;
  WeirHome home;

  UsageFixture() {
    std::ofstream(home.path() + "/prices.json") << R"({"fake-model": {"input": 1000, "output": 2000}})";
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "alpha", "--provider", "fake", "--model", "fake-model"});
    run_ok({"gateway", "create", "beta", "--provider", "fake", "--model", "fake-model"});
    upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("a", "stop", 10, 5)));
    run_ok({"chat", "alpha", "one", "--no-stream"});
    upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("b", "stop", 20, 7)));
    run_ok({"chat", "alpha", "two", "--no-stream"});
    upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("c", "stop", 30, 11)));
    run_ok({"chat", "beta", "three", "--no-stream"});
    upstream.enqueue(ScriptedResponse::json_body(500, {{"error", {{"message", "boom"}}}}));
    CHECK(home.run({"chat", "beta", "four", "--no-stream"}).exit_code != 0);
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
};

}  // namespace

TEST_CASE("usage: the figures by gateway, model and sku equal the sums of the request log rows") {
  UsageFixture fixture;
  auto rows = json::parse(fixture.run_ok({"logs", "--json", "--limit", "1000"}).out);
  REQUIRE(rows.size() == 4);
  std::map<std::string, json> expected;
  json total = {{"requests", 0}, {"tokens_in", 0}, {"tokens_out", 0}, {"cost", 0.0}, {"errors", 0}};
  for (const auto& row : rows) {
    if (!expected.count(row["gateway"].get<std::string>())) expected[row["gateway"].get<std::string>()] = json::object();
    for (auto* into : {&expected[row["gateway"].get<std::string>()], &total}) {
      auto& sums = *into;
      sums["requests"] = sums.value("requests", 0) + 1;
      sums["tokens_in"] = sums.value("tokens_in", 0LL) + row["prompt_tokens"].get<long long>();
      sums["tokens_out"] = sums.value("tokens_out", 0LL) + row["completion_tokens"].get<long long>();
      sums["cost"] = sums.value("cost", 0.0) + row["cost"].get<double>();
      sums["errors"] = sums.value("errors", 0) + (row["status"] == "error" ? 1 : 0);
    }
  }
  auto usage = json::parse(fixture.run_ok({"usage", "--json"}).out);
  REQUIRE(usage["groups"].size() == 2);
  for (const auto& group : usage["groups"]) {
    const auto& sums = expected.at(group["group"].get<std::string>());
    CHECK(group["requests"] == sums["requests"]);
    CHECK(group["tokens_in"] == sums["tokens_in"]);
    CHECK(group["tokens_out"] == sums["tokens_out"]);
    CHECK(group["cost"].get<double>() == doctest::Approx(sums["cost"].get<double>()));
    CHECK(group["errors"] == sums["errors"]);
    CHECK(group["cache_hits"] == 0);
  }
  CHECK(usage["total"]["requests"] == 4);
  CHECK(usage["total"]["errors"] == 1);
  CHECK(usage["total"]["cost"].get<double>() == doctest::Approx(total["cost"].get<double>()));
  CHECK(usage["total"]["cost"].get<double>() == doctest::Approx((60 * 1000.0 + 23 * 2000.0) / 1e6));

  // By sku: the output lines' quantities are the completion tokens.
  auto by_sku = json::parse(fixture.run_ok({"usage", "--by", "sku", "--json"}).out);
  long long output_tokens = 0;
  double cost = 0;
  for (const auto& group : by_sku["groups"]) {
    if (group["group"] == "fake/fake-model:output_tokens") output_tokens = group["tokens_out"].get<long long>();
    cost += group["cost"].get<double>();
  }
  CHECK(output_tokens == total["tokens_out"].get<long long>());
  CHECK(cost == doctest::Approx(total["cost"].get<double>()));

  // A range that holds nothing.
  auto empty = json::parse(fixture.run_ok({"usage", "--since", "2001-01-01", "--until", "2001-02-01", "--json"}).out);
  CHECK(empty["total"]["requests"] == 0);
  CHECK(fixture.home.run({"usage", "--by", "colour"}).exit_code == 2);
}

TEST_CASE("usage: plain text when piped, bars and a sparkline on a terminal") {
  UsageFixture fixture;
  auto piped = fixture.run_ok({"usage", "--by", "day"});
  CHECK(piped.out.find("REQUESTS") != std::string::npos);
  CHECK(piped.out.find("█") == std::string::npos);
  CHECK(piped.out.find("daily cost") == std::string::npos);

  std::string command = std::string(WEIR_BINARY) + " --home " + fixture.home.path() + " usage --since 3d";
  WeirProcess terminal({"/usr/bin/script", "-qec", command, "/dev/null"}, "", {});
  auto result = terminal.wait();
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("alpha") != std::string::npos);
  CHECK(result.out.find("█") != std::string::npos);
  CHECK(result.out.find("daily cost") != std::string::npos);
}

TEST_CASE("logs: filters, export and prune") {
  UsageFixture fixture;
  auto beta = json::parse(fixture.run_ok({"logs", "--gateway", "beta", "--json"}).out);
  CHECK(beta.size() == 2);
  auto errors = json::parse(fixture.run_ok({"logs", "list", "--status", "error", "--json"}).out);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]["gateway"] == "beta");
  CHECK(json::parse(fixture.run_ok({"logs", "--model", "other", "--json"}).out).empty());
  CHECK(json::parse(fixture.run_ok({"logs", "--since", "1h", "--json"}).out).size() == 4);
  CHECK(fixture.home.run({"logs", "--status", "fine"}).exit_code == 2);

  auto exported = fixture.run_ok({"logs", "export", "--since", "1d"}).out;
  size_t lines = 0;
  for (char character : exported) lines += character == '\n';
  CHECK(lines == 4);
  CHECK(json::parse(exported.substr(0, exported.find('\n')))["gateway"] == "alpha");  // oldest first

  auto kept = json::parse(fixture.run_ok({"logs", "prune", "--older-than", "1d", "--json"}).out);
  CHECK(kept["removed"] == 0);
  CHECK(json::parse(fixture.run_ok({"logs", "--json"}).out).size() == 4);
}

TEST_CASE("logs: show and export keep the conversation; log_messages false keeps only the metadata") {
  UsageFixture fixture;
  auto rows = json::parse(fixture.run_ok({"logs", "--json", "--limit", "1000"}).out);
  REQUIRE(rows.size() == 4);
  CHECK_FALSE(rows[0].contains("conversation"));  // listings never read them

  // The oldest row: `weir chat alpha one`, answered "a".
  auto oldest = rows.back()["id"].get<std::string>();
  auto shown = json::parse(fixture.run_ok({"logs", "show", oldest, "--json"}).out);
  REQUIRE(shown["conversation"].is_object());
  CHECK(shown["conversation"]["messages"].back()["content"] == "one");
  CHECK(shown["conversation"]["answer"] == "a");
  auto text = fixture.run_ok({"logs", "show", oldest}).out;
  CHECK(text.find("conversation:\n") != std::string::npos);
  CHECK(text.find("  [user]\n    one\n") != std::string::npos);
  CHECK(text.find("  [answer]\n    a\n") != std::string::npos);
  // A failed request keeps what was asked.
  auto failed = json::parse(fixture.run_ok({"logs", "list", "--status", "error", "--json"}).out);
  REQUIRE(failed.size() == 1);
  auto failed_row = json::parse(fixture.run_ok({"logs", "show", failed[0]["id"].get<std::string>(), "--json"}).out);
  CHECK(failed_row["conversation"]["messages"].back()["content"] == "four");

  auto exported = fixture.run_ok({"logs", "export", "--gateway", "alpha"}).out;
  auto first = json::parse(exported.substr(0, exported.find('\n')));
  CHECK(first["conversation"]["answer"] == "a");

  fixture.run_ok({"gateway", "update", "alpha", "--log-messages", "false"});
  CHECK(fixture.home.run({"gateway", "update", "alpha", "--log-messages", "maybe"}).exit_code == 2);
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("secret answer", "stop", 1, 1)));
  fixture.run_ok({"chat", "alpha", "private question", "--no-stream"});
  auto newest = json::parse(fixture.run_ok({"logs", "--json", "--limit", "1"}).out)[0];
  auto metadata_only = json::parse(fixture.run_ok({"logs", "show", newest["id"].get<std::string>(), "--json"}).out);
  CHECK(metadata_only["status"] == "ok");
  CHECK_FALSE(metadata_only.contains("conversation"));
}

TEST_CASE("logs: the conversation keeps masked input masked and leaves inline images out") {
  FakeUpstream upstream;
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"}).exit_code == 0);
  json gateway = {{"name", "g"},
                  {"provider", "fake"},
                  {"model", "fake-model"},
                  {"guardrails", json::array({{{"name", "pii"}, {"type", "pii"}, {"action", "mask"}}})}};
  REQUIRE(home.run({"gateway", "apply", "-f", "-"}, gateway.dump()).exit_code == 0);
  upstream.enqueue(ScriptedResponse::text_answer("Hello [EMAIL_1].", false));
  auto answered = home.run({"chat", "g", "I am bob@example.com", "--no-stream"});
  REQUIRE_MESSAGE(answered.exit_code == 0, answered.err);
  CHECK(answered.out.find("Hello bob@example.com.") != std::string::npos);  // the caller sees it back
  auto row = json::parse(home.run({"logs", "--json", "--limit", "1"}).out)[0];
  auto shown = home.run({"logs", "show", row["id"].get<std::string>(), "--json"}).out;
  CHECK(shown.find("bob@example.com") == std::string::npos);
  auto conversation = json::parse(shown)["conversation"];
  CHECK(conversation["messages"].back()["content"] == "I am [EMAIL_1]");
  CHECK(conversation["answer"] == "Hello [EMAIL_1].");

  // An image sent inline is named and sized, not stored.
  std::string image(4000, 'A');
  json messages = json::array({{{"role", "user"},
                                {"content", json::array({{{"type", "text"}, {"text", "what is this?"}},
                                                         {{"type", "image_url"},
                                                          {"image_url", {{"url", "data:image/png;base64," + image}}}}})}}});
  upstream.enqueue(ScriptedResponse::text_answer("a square", false));
  ServeProcess serve(home);
  auto reply = post_chat(serve.port(), {{"model", "g"}, {"messages", messages}});
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  auto id = body_json(reply)["generation_context"]["request_id"].get<std::string>();
  json logged;
  wait_for_store(home.path(), [&] {
    auto result = home.run({"logs", "show", id, "--json"});
    if (result.exit_code != 0) return false;
    logged = json::parse(result.out);
    return true;
  });
  auto url = logged["conversation"]["messages"][0]["content"][1]["image_url"]["url"].get<std::string>();
  CHECK(url.find("data:image/png") == 0);
  CHECK(url.find("bytes of inline data, not logged") != std::string::npos);
  CHECK(url.find(image.substr(0, 100)) == std::string::npos);
}

TEST_CASE("logs: --follow prints each row as it is written, with the filters") {
  UsageFixture fixture;
  auto follower = fixture.home.start({"logs", "--follow", "--json", "--gateway", "beta"});
  // The follower starts at the end: the fixture's rows are not printed again.
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("x", "stop", 1, 1)));
  fixture.run_ok({"chat", "alpha", "not followed", "--no-stream"});
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("y", "stop", 1, 1)));
  fixture.run_ok({"chat", "beta", "followed", "--no-stream"});
  auto newest = json::parse(fixture.run_ok({"logs", "--json", "--limit", "1"}).out)[0]["id"].get<std::string>();
  REQUIRE(follower->wait_for_output(newest, std::chrono::seconds(30)));
  follower->send_signal(SIGINT);
  auto ended = follower->wait();
  CHECK(ended.exit_code == 130);
  size_t lines = 0;
  for (char character : ended.out) lines += character == '\n';
  CHECK(lines == 1);  // only beta's new row
  CHECK(json::parse(ended.out)["gateway"] == "beta");
}
