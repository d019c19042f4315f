// `weir usage` and the `weir logs` filters against the request log: every
// figure equals the sums of the rows `weir logs --json` shows; on a terminal
// (a pty from script(1)) bars and a sparkline, piped plain text.
#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include "tests/support/fake_upstream.hpp"
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
