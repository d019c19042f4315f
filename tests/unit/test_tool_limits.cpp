// Tool limits: `--tool-limit` values read or refused, and a limiter that
// counts calls per window and holds a concurrency lease while a call runs.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/store/database.hpp"
#include "core/tools/tool_limits.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/temporary_store.hpp"

using namespace weir;
using weir::testing::TemporaryStore;
using weir::testing::expect_error;
using json = nlohmann::json;

TEST_CASE("tool limits: --tool-limit values") {
  CHECK(parse_tool_limit_argument("getBook=60/minute") ==
        std::pair<std::string, json>{"getBook", {{"requests_per_minute", 60}}});
  CHECK(parse_tool_limit_argument("a.b=3/concurrent").second == json{{"concurrent_requests", 3}});
  CHECK(parse_tool_limit_argument("x=1/day").second == json{{"requests_per_day", 1}});
  for (const std::string bad : {"getBook", "getBook=60", "getBook=-1/minute", "getBook=1.5/hour", "getBook=2/week",
                                "=2/hour", "getBook=/hour"}) {
    CAPTURE(bad);
    auto error = expect_error([&] { parse_tool_limit_argument(bad); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()).find("TOOL=N/minute") != std::string::npos);
  }
  auto tokens = expect_error([] { check_tool_limits(json{{"t", {{"tokens_per_day", 5}}}}, "serve.json"); });
  CHECK(std::string(tokens.what()).find("serve.json: tool_limits.t has 'tokens_per_day'") != std::string::npos);
  CHECK(expect_error([] { check_tool_limits(json{{"t", json::object()}}, "s"); }).kind() == ErrorKind::usage);
  CHECK(expect_error([] { check_tool_limits(json::array(), "s"); }).kind() == ErrorKind::usage);
}

TEST_CASE("tool limits: limits given in several places keep each field's strictest value") {
  json limits = {{"a", {{"requests_per_minute", 10}}}};
  merge_tool_limits(limits, {{"a", {{"requests_per_minute", 20}, {"concurrent_requests", 2}}}, {"b", {{"requests_per_day", 5}}}});
  CHECK(limits == json{{"a", {{"requests_per_minute", 10}, {"concurrent_requests", 2}}}, {"b", {{"requests_per_day", 5}}}});
  merge_tool_limits(limits, {{"a", {{"requests_per_minute", 3}}}});
  CHECK(limits["a"]["requests_per_minute"] == 3);
}

TEST_CASE("tool limits: calls per window, and a call at once while one is admitted") {
  TemporaryStore store("tool-limits");
  Database database(store.path);
  ToolCallLimiter per_hour(database, "getBook", "OpenAPI service 'Library'", "getBook", {{"requests_per_day", 2}});
  { auto first = per_hour.admit(); }
  { auto second = per_hour.admit(); }
  auto refused = expect_error([&] { auto third = per_hour.admit(); });
  CHECK(refused.kind() == ErrorKind::rate_limited);
  CHECK(refused.code() == "rate_limit_exceeded");
  CHECK(refused.retry_after_seconds() >= 1);
  CHECK(std::string(refused.what()).find("tool 'getBook' is limited to 2") != std::string::npos);
  // Another source's tool of the same name counts apart.
  ToolCallLimiter other(database, "getBook", "OpenAPI service 'Shop'", "getBook", {{"requests_per_day", 2}});
  { auto admitted = other.admit(); }
  // The same tool served under another name (a prefix, a clash) is counted as itself.
  ToolCallLimiter renamed(database, "library_getBook", "OpenAPI service 'Library'", "getBook", {{"requests_per_day", 2}});
  CHECK(expect_error([&] { auto again = renamed.admit(); }).kind() == ErrorKind::rate_limited);

  ToolCallLimiter at_once(database, "slow", "MCP server 'files'", "slow", {{"concurrent_requests", 1}});
  {
    auto running = at_once.admit();
    CHECK(expect_error([&] { auto second = at_once.admit(); }).kind() == ErrorKind::rate_limited);
  }
  auto after = at_once.admit();  // the lease came back when the first call ended
}
