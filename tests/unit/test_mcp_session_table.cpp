// The bounded session table of the streamable-HTTP transport
// (mcp/protocol/session_table.hpp), with a clock the test moves.
#include <doctest/doctest.h>

#include "mcp/protocol/session_table.hpp"

using namespace weir::mcp::protocol;
using namespace std::chrono_literals;

namespace {
ServerInfo info() { return {"weir", "1.0", "weir", ""}; }
}  // namespace

TEST_CASE("session table: ids are long and random; owners, expiry and the cap evict idle sessions only") {
  auto now = std::chrono::steady_clock::now();
  SessionTableOptions options;
  options.max_sessions = 2;
  options.idle_expiry = 30min;
  SessionTable table(options, [&now] { return now; });
  auto make = [] { return std::make_shared<Session>(info(), std::shared_ptr<const ToolSet>()); };

  auto first = table.add(make(), "alice");
  REQUIRE(first);
  auto first_id = first->id();
  CHECK(first_id.size() == 32);
  CHECK(first_id.find_first_not_of("0123456789abcdef") == std::string::npos);
  first.reset();
  CHECK(table.acquire(first_id, "bob") == nullptr);  // another key's session does not exist for it
  CHECK(table.acquire(first_id, "alice") != nullptr);

  now += 1min;
  auto second = table.add(make(), "alice");  // kept busy: it may not be evicted
  REQUIRE(second);
  CHECK(second->id() != first_id);
  now += 1min;
  auto third = table.add(make(), "alice");  // full: the idle first one goes
  REQUIRE(third);
  CHECK(table.size() == 2);
  CHECK(table.acquire(first_id, "alice") == nullptr);
  auto third_id = third->id();
  third.reset();

  // Full of busy sessions: refused, not evicted.
  auto busy = table.acquire(third_id, "alice");
  CHECK(table.add(make(), "alice") == nullptr);
  busy.reset();

  // Idle past the expiry: gone.
  now += 31min;
  CHECK(table.acquire(third_id, "alice") == nullptr);
  auto second_id = second->id();
  second.reset();
  CHECK(table.acquire(second_id, "alice") != nullptr);  // just released: not idle for long
  CHECK(table.remove(second_id, "alice"));
  CHECK_FALSE(table.remove(second_id, "alice"));
  CHECK(table.size() == 0);
}
