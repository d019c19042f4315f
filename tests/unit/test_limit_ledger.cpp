// LimitLedger: fixed windows counted in the file beside the store, with an
// injected clock.
// Each refusal names the limit and carries a Retry-After that is right to the
// second; tokens are estimated at admit and settled after; counters outlive
// the connection (a restart) and are shared by two processes (a forked one
// counting tokens beside this one); a killed process's lease is taken back;
// a damaged file starts afresh; a public key's scope per address is its own
// and cannot crowd the file; a full file takes over stale counters; budgets
// refuse from the request after the one that crossed them, or only warn.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/policy/limit_counters.hpp"
#include "core/policy/limit_ledger.hpp"
#include "core/store/database.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/temporary_store.hpp"

using namespace weir;
using weir::testing::TemporaryStore;
using weir::testing::expect_error;

namespace {

// 2026-12-03T10:00:00Z, a Thursday.
constexpr int64_t kStart = 1'796'292'000'000;

LimitScope scope_with(LimitSettings limits, BudgetSettings budget = {}) {
  LimitScope scope;
  scope.id = "gateway:g1";
  scope.label = "gateway 'support'";
  scope.limits = limits;
  scope.budget = budget;
  return scope;
}

}  // namespace

TEST_CASE("limit ledger: requests per minute refuse with the seconds left in the window") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart + 12'300;  // 12.3 s into the minute
  LimitLedger ledger(database, [&] { return now; });
  LimitSettings limits;
  limits.requests_per_minute = 2;
  ledger.admit({scope_with(limits)}, "r1", 0);
  ledger.admit({scope_with(limits)}, "r2", 0);
  auto error = expect_error([&] { ledger.admit({scope_with(limits)}, "r3", 0); });
  CHECK(error.kind() == ErrorKind::rate_limited);
  CHECK(error.code() == "rate_limit_exceeded");
  CHECK(error.retry_after_seconds() == 48);  // 47.7 s rounded up
  CHECK(std::string(error.what()).find("requests_per_minute") != std::string::npos);
  CHECK(std::string(error.what()).find("gateway 'support'") != std::string::npos);
  now = kStart + 59'999;
  CHECK(expect_error([&] { ledger.admit({scope_with(limits)}, "r3", 0); }).retry_after_seconds() == 1);
  now = kStart + 60'000;  // the next window
  CHECK_NOTHROW(ledger.admit({scope_with(limits)}, "r3", 0));
}

TEST_CASE("limit ledger: hour and day windows give their own Retry-After") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart + 30 * 60'000;  // 10:30
  LimitLedger ledger(database, [&] { return now; });
  SUBCASE("hour") {
    LimitSettings limits;
    limits.requests_per_hour = 1;
    ledger.admit({scope_with(limits)}, "r1", 0);
    auto error = expect_error([&] { ledger.admit({scope_with(limits)}, "r2", 0); });
    CHECK(error.retry_after_seconds() == 30 * 60);
  }
  SUBCASE("day") {
    LimitSettings limits;
    limits.requests_per_day = 1;
    ledger.admit({scope_with(limits)}, "r1", 0);
    auto error = expect_error([&] { ledger.admit({scope_with(limits)}, "r2", 0); });
    CHECK(error.retry_after_seconds() == 13 * 3600 + 30 * 60);  // until 00:00 UTC
  }
}

TEST_CASE("limit ledger: tokens are estimated at admit and settled from the real usage") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart + 1'000;
  LimitLedger ledger(database, [&] { return now; });
  LimitSettings limits;
  limits.tokens_per_minute = 100;
  auto first = ledger.admit({scope_with(limits)}, "r1", 60);
  // 60 estimated + 60 more would pass 100.
  auto refused = expect_error([&] { ledger.admit({scope_with(limits)}, "r2", 60); });
  CHECK(refused.code() == "rate_limit_exceeded");
  CHECK(refused.retry_after_seconds() == 59);
  CHECK(std::string(refused.what()).find("tokens_per_minute") != std::string::npos);
  // It really used 30: now 60 more fit.
  ledger.settle(first, 30, {});
  CHECK_NOTHROW(ledger.admit({scope_with(limits)}, "r2", 60));
  // A request whose estimate alone passes the limit says so, and is not told
  // to retry: waiting cannot help it.
  auto alone = expect_error([&] { ledger.admit({scope_with(limits)}, "r3", 500); });
  CHECK(std::string(alone.what()).find("alone") != std::string::npos);
  CHECK(alone.kind() == ErrorKind::usage);
  CHECK(alone.code() == "request_over_token_limit");
  CHECK(alone.retry_after_seconds() == 0);
}

TEST_CASE("limit ledger: counters survive a reopen and are shared by two connections") {
  TemporaryStore store("ledger");
  int64_t now = kStart;
  LimitSettings limits;
  limits.requests_per_day = 3;
  {
    Database database(store.path);
    LimitLedger(database, [&] { return now; }).admit({scope_with(limits)}, "r1", 0);
  }
  Database one(store.path);
  Database two(store.path);
  LimitLedger(one, [&] { return now; }).admit({scope_with(limits)}, "r2", 0);
  LimitLedger(two, [&] { return now; }).admit({scope_with(limits)}, "r3", 0);
  CHECK(expect_error([&] { LimitLedger(one, [&] { return now; }).admit({scope_with(limits)}, "r4", 0); }).kind() ==
        ErrorKind::rate_limited);
}

TEST_CASE("limit ledger: concurrent requests hold a lease until settled, or until it expires") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart;
  LimitLedger ledger(database, [&] { return now; });
  LimitSettings limits;
  limits.concurrent_requests = 1;
  auto first = ledger.admit({scope_with(limits)}, "r1", 0);
  auto busy = expect_error([&] { ledger.admit({scope_with(limits)}, "r2", 0); });
  CHECK(busy.retry_after_seconds() == 1);
  CHECK(std::string(busy.what()).find("concurrent_requests") != std::string::npos);
  ledger.settle(first, 0, {});
  auto second = ledger.admit({scope_with(limits)}, "r2", 0);
  // Never settled (its process was killed): the lease lapses.
  now += LimitLedger::kLeaseMilliseconds;
  CHECK_NOTHROW(ledger.admit({scope_with(limits)}, "r3", 0));
}

TEST_CASE("limit ledger: a public key's scope per address is counted apart") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart;
  LimitLedger ledger(database, [&] { return now; });
  auto scope = [](const std::string& address) {
    LimitScope key;
    key.id = "key:k1@" + address;
    key.label = "API key 'app' from " + address;
    key.limits.requests_per_minute = 1;
    return key;
  };
  ledger.admit({scope("10.0.0.1")}, "r1", 0);
  ledger.admit({scope("10.0.0.2")}, "r2", 0);
  auto error = expect_error([&] { ledger.admit({scope("10.0.0.1")}, "r3", 0); });
  CHECK(std::string(error.what()).find("from 10.0.0.1") != std::string::npos);
}

TEST_CASE("limit ledger: a budget refuses after the request that crossed it, until the period resets") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart;
  LimitLedger ledger(database, [&] { return now; });
  BudgetSettings budget;
  budget.usd_per_day = 1.0;
  auto cost = [](double amount) { return [amount](const LimitScope&) { return amount; }; };
  ledger.settle(ledger.admit({scope_with({}, budget)}, "r1", 0), 0, cost(0.6));
  // 0.6 spent: the next is served and crosses the budget.
  ledger.settle(ledger.admit({scope_with({}, budget)}, "r2", 0), 0, cost(0.6));
  auto error = expect_error([&] { ledger.admit({scope_with({}, budget)}, "r3", 0); });
  CHECK(error.code() == "budget_exceeded");
  CHECK(error.retry_after_seconds() == 14 * 3600);  // 10:00 to midnight UTC
  CHECK(std::string(error.what()).find("resets at") != std::string::npos);
  auto periods = ledger.budget_periods(scope_with({}, budget));
  REQUIRE(periods.size() == 1);
  CHECK(periods[0].spent == doctest::Approx(1.2));
  now = kStart + 14 * 3'600'000;
  CHECK_NOTHROW(ledger.admit({scope_with({}, budget)}, "r3", 0));
}

TEST_CASE("limit ledger: a budget with action warn answers and reports") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart;
  LimitLedger ledger(database, [&] { return now; });
  BudgetSettings budget;
  budget.usd_per_week = 0.5;
  budget.warn_only = true;
  ledger.settle(ledger.admit({scope_with({}, budget)}, "r1", 0), 0, [](const LimitScope&) { return 0.5; });
  auto admission = ledger.admit({scope_with({}, budget)}, "r2", 0);
  REQUIRE(admission.budget_warnings.size() == 1);
  CHECK(admission.budget_warnings[0].find("usd_per_week") != std::string::npos);
}

TEST_CASE("budget periods: UTC day, week from Monday, calendar month") {
  auto day = budget_period("day", kStart);
  CHECK(day.end - day.start == 86'400'000);
  CHECK(day.start == kStart - 10 * 3'600'000);
  auto week = budget_period("week", kStart);  // Thursday -> Monday 2026-11-30
  CHECK(week.start == day.start - 3 * 86'400'000LL);
  auto month = budget_period("month", kStart);  // 2026-12-01 .. 2027-01-01
  CHECK(month.start == day.start - 2 * 86'400'000LL);
  CHECK(month.end == month.start + 31 * 86'400'000LL);
}

TEST_CASE("limit ledger: scopes without limits are not counted") {
  TemporaryStore store("ledger");
  Database database(store.path);
  LimitLedger ledger(database, [] { return kStart; });
  auto admission = ledger.admit({scope_with({})}, "r1", 10);
  CHECK_FALSE(admission.active());
}

TEST_CASE("limit ledger: tokens per minute hold across two processes counting in one file") {
  TemporaryStore store("ledger");
  int64_t now = kStart;
  LimitSettings limits;
  limits.tokens_per_minute = 1000;
  constexpr long long kEstimate = 7;
  // Each process admits until refused; every admitted request used its estimate.
  auto drive = [&](const char* prefix) {
    Database database(store.path);
    LimitLedger ledger(database, [&] { return now; });
    int served = 0;
    while (true) {
      try {
        auto admission = ledger.admit({scope_with(limits)}, prefix + std::to_string(served), kEstimate);
        ledger.settle(admission, kEstimate, {});
        ++served;
      } catch (const Error& error) {
        REQUIRE(error.code() == "rate_limit_exceeded");
        return served;
      }
    }
  };
  { Database creating(store.path); LimitLedger(creating, [&] { return now; }).counter_names(""); }
  auto child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int served = 0;
    try {
      served = drive("child-");
    } catch (...) {
      _exit(255);
    }
    _exit(served % 250);  // an exit status carries 0..254; 142 at most fit here
  }
  auto parent_served = drive("parent-");
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  auto child_served = WEXITSTATUS(status);
  REQUIRE(child_served != 255);
  // 1000 / 7: 142 requests fit in the minute, whichever process asked.
  CHECK(parent_served + child_served == 142);
  Database database(store.path);
  auto windows = LimitLedger(database, [&] { return now; }).counter_windows("gateway:g1:tokens_per_minute");
  REQUIRE(windows.size() == 1);
  CHECK(windows[0].second == 142 * kEstimate);
}

TEST_CASE("limit ledger: a killed process's concurrency lease is taken back at once") {
  TemporaryStore store("ledger");
  int64_t now = kStart;
  LimitSettings limits;
  limits.concurrent_requests = 1;
  { Database creating(store.path); LimitLedger(creating, [&] { return now; }).counter_names(""); }
  auto child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 0;
    try {
      Database database(store.path);
      LimitLedger(database, [&] { return now; }).admit({scope_with(limits)}, "in-child", 0);
    } catch (...) {
      code = 1;
    }
    _exit(code);  // never settled, as if killed mid-request
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  Database database(store.path);
  LimitLedger ledger(database, [&] { return now; });
  // The lease has not expired, but its process is gone.
  auto admission = ledger.admit({scope_with(limits)}, "r1", 0);
  // This process is alive: its lease holds until settled.
  CHECK(expect_error([&] { ledger.admit({scope_with(limits)}, "r2", 0); }).code() == "rate_limit_exceeded");
  ledger.settle(admission, 0, {});
  CHECK_NOTHROW(ledger.admit({scope_with(limits)}, "r3", 0));
}

TEST_CASE("limit ledger: a refusal undoes the counts it added before it") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart;
  LimitLedger ledger(database, [&] { return now; });
  LimitSettings limits;
  limits.requests_per_minute = 10;
  limits.tokens_per_minute = 100;
  ledger.admit({scope_with(limits)}, "r1", 90);
  CHECK(expect_error([&] { ledger.admit({scope_with(limits)}, "r2", 20); }).code() == "rate_limit_exceeded");
  auto requests = ledger.counter_windows("gateway:g1:requests_per_minute");
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].second == 1);  // the refused request is not counted
}

TEST_CASE("limit ledger: a damaged counters file is started afresh, never a crash") {
  TemporaryStore store("ledger");
  LimitSettings limits;
  limits.requests_per_minute = 1;
  std::ofstream(store.path + "-limits") << "not a counters file";
  SUBCASE("too short") {}
  SUBCASE("too long") { std::filesystem::resize_file(store.path + "-limits", 5'000'000); }
  SUBCASE("the right size, with a header not ours") {
    // A sound file's size, from a store of its own.
    auto other = (store.directory / "other").string();
    std::filesystem::create_directories(other);
    {
      Database sound(other + "/weir.db");
      LimitLedger(sound, [] { return kStart; }).counter_names("");
    }
    auto size = std::filesystem::file_size(other + "/weir.db-limits");
    std::ofstream(store.path + "-limits") << "weirlim9";
    std::filesystem::resize_file(store.path + "-limits", size);
  }
  Database database(store.path);
  LimitLedger ledger(database, [] { return kStart; });
  CHECK_NOTHROW(ledger.admit({scope_with(limits)}, "r1", 0));
  CHECK(expect_error([&] { ledger.admit({scope_with(limits)}, "r2", 0); }).code() == "rate_limit_exceeded");
  CHECK(std::filesystem::file_size(store.path + "-limits") > 4'000'000);
  CHECK((std::filesystem::status(store.path + "-limits").permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
}

namespace {

LimitScope address_scope(const std::string& address) {
  LimitScope key;
  key.id = "key:k1@" + address;
  key.overflow_id = "key:k1@*";
  key.label = "API key 'app' from " + address;
  key.limits.requests_per_minute = 100;
  return key;
}

// Claims counters of other names until the file holds `count` of them.
void fill_counters(const std::string& store_path, int count, int64_t window) {
  auto counters = LimitCounters::open(store_path);
  for (int index = 0; index < count; ++index) {
    int32_t slot = -1;
    try {
      slot = counters->slot("gateway:filler" + std::to_string(index) + ":requests_per_minute", true);
    } catch (const Error&) {
      continue;  // that name's places are all taken: the file is as full as it gets there
    }
    counters->add(slot, window, 1);
  }
}

}  // namespace

TEST_CASE("limit ledger: counters per remote address never take more than half the file") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart;
  LimitLedger ledger(database, [&] { return now; });
  ledger.admit({address_scope("10.0.0.1")}, "r1", 0);
  CHECK(ledger.counter_windows("key:k1@10.0.0.1:requests_per_minute").size() == 1);
  fill_counters(store.path, LimitCounters::kSlots / 2, now / 60'000);
  // A new address finds no room of its own: it counts in the shared scope.
  ledger.admit({address_scope("10.0.0.2")}, "r2", 0);
  CHECK(ledger.counter_windows("key:k1@10.0.0.2:requests_per_minute").empty());
  auto shared = ledger.counter_windows("key:k1@*:requests_per_minute");
  REQUIRE(shared.size() == 1);
  CHECK(shared[0].second == 1);
  // An address that had its own counter keeps it.
  ledger.admit({address_scope("10.0.0.1")}, "r3", 0);
  CHECK(ledger.counter_windows("key:k1@10.0.0.1:requests_per_minute")[0].second == 2);
  // Gateways still get counters of their own.
  LimitSettings limits;
  limits.requests_per_minute = 5;
  CHECK_NOTHROW(ledger.admit({scope_with(limits)}, "r4", 0));
  CHECK(ledger.counter_windows("gateway:g1:requests_per_minute").size() == 1);
}

TEST_CASE("limit ledger: a full counters file takes over counters nothing has counted in lately") {
  TemporaryStore store("ledger");
  Database database(store.path);
  int64_t now = kStart;
  LimitLedger ledger(database, [&] { return now; });
  LimitSettings limits;
  limits.requests_per_minute = 5;
  auto fresh = [&](int index) {
    auto scope = scope_with(limits);
    scope.id = "gateway:new" + std::to_string(index);
    return scope;
  };
  SUBCASE("counters of minutes long past are taken over") {
    fill_counters(store.path, 2 * LimitCounters::kSlots, now / 60'000 - 5);
    for (int index = 0; index < 50; ++index) CHECK_NOTHROW(ledger.admit({fresh(index)}, "r", 0));
    CHECK(ledger.counter_windows("gateway:new49:requests_per_minute")[0].second == 1);
  }
  SUBCASE("counters in use are not: a clear error names the file") {
    fill_counters(store.path, 2 * LimitCounters::kSlots, now / 60'000);
    auto refused = 0;
    for (int index = 0; index < 50; ++index) {
      try {
        ledger.admit({fresh(index)}, "r", 0);
      } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::runtime);
        CHECK(std::string(error.what()).find("has no room for counter") != std::string::npos);
        ++refused;
      }
    }
    CHECK(refused > 0);
  }
}

TEST_CASE("limit counters: a slot left mid-claim by a killed process is taken again, not waited on") {
  TemporaryStore store("ledger");
  Database database(store.path);
  auto counters = LimitCounters::open(store.path);
  std::string name = "gateway:g1:requests_per_minute";
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  // The slot where the name belongs, as the killed process left it: claimed, its name never written.
  auto home = static_cast<uint32_t>(weir::hash64(name) & (LimitCounters::kSlots - 1));
  {
    std::fstream file(store.path + "-limits", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096 + static_cast<std::streamoff>(home) * 128);
    uint64_t claiming = (static_cast<uint64_t>(static_cast<uint32_t>(child)) << 32) | 1;
    file.write(reinterpret_cast<const char*>(&claiming), sizeof claiming);
  }
  // Not waited on (10,000 yields), and the chain does not end there: the
  // place is a tombstone the next creation takes.
  CHECK(counters->slot(name, false) == -1);
  CHECK(counters->slot(name, true) == static_cast<int32_t>(home));
  CHECK(counters->slot(name, false) == static_cast<int32_t>(home));
}
