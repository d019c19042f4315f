#include "core/policy/limit_ledger.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// One limit of the limits block: its field, what it counts and its window.
struct WindowRule {
  const char* name;
  std::optional<long long> LimitSettings::*value;
  bool tokens;
  int64_t length;
  const char* per;  // "per minute"
};

constexpr WindowRule kWindowRules[] = {
    {"requests_per_minute", &LimitSettings::requests_per_minute, false, kMinute, "requests per minute"},
    {"requests_per_hour", &LimitSettings::requests_per_hour, false, kHour, "requests per hour"},
    {"requests_per_day", &LimitSettings::requests_per_day, false, kDay, "requests per day"},
    {"tokens_per_minute", &LimitSettings::tokens_per_minute, true, kMinute, "tokens per minute"},
    {"tokens_per_day", &LimitSettings::tokens_per_day, true, kDay, "tokens per day"},
};

struct BudgetRule {
  const char* name;
  std::optional<double> BudgetSettings::*value;
  const char* period;
};

constexpr BudgetRule kBudgetRules[] = {
    {"usd_per_day", &BudgetSettings::usd_per_day, "day"},
    {"usd_per_week", &BudgetSettings::usd_per_week, "week"},
    {"usd_per_month", &BudgetSettings::usd_per_month, "month"},
};

int64_t window_start(int64_t at, int64_t length) { return at - ((at % length) + length) % length; }

int seconds_until(int64_t end, int64_t now) {
  auto wait = end - now;
  return static_cast<int>(std::max<int64_t>(1, (wait + 999) / 1000));
}

Error refusal(const std::string& code, std::string message, int retry_after) {
  Error error(ErrorKind::rate_limited, std::move(message) + "; retry in " + std::to_string(retry_after) + " s", code);
  error.set_retry_after_seconds(retry_after);
  return error;
}

std::string counter(const LimitScope& scope, const char* name) { return scope.id + ":" + name; }

// -1 when the window has no row yet.
double read_used(Database& database, const std::string& scope, int64_t start) {
  auto query = database.prepare("SELECT used FROM limit_counters WHERE scope = ?1 AND window_start = ?2");
  query.bind(1, scope).bind(2, start);
  return query.step() ? query.real(0) : -1;
}

void add_used(Database& database, const std::string& scope, int64_t start, double amount) {
  database
      .prepare("INSERT INTO limit_counters(scope, window_start, used) VALUES(?1, ?2, ?3) "
               "ON CONFLICT(scope, window_start) DO UPDATE SET used = max(0, used + excluded.used)")
      .bind(1, scope)
      .bind(2, start)
      .bind(3, amount)
      .run();
}

std::string format_usd(double amount) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", amount);
  return text;
}

}  // namespace

Period budget_period(const std::string& period, int64_t at) {
  using namespace std::chrono;
  if (period == "day") return {window_start(at, kDay), window_start(at, kDay) + kDay};
  if (period == "week") {
    constexpr int64_t kMonday = 4 * kDay;  // 1970-01-05 was a Monday
    auto start = window_start(at - kMonday, 7 * kDay) + kMonday;
    return {start, start + 7 * kDay};
  }
  sys_days today = floor<days>(sys_time<milliseconds>(milliseconds(at)));
  year_month_day date(today);
  auto first = sys_days(date.year() / date.month() / 1);
  auto next = sys_days((date.year() / date.month() + months(1)) / 1);
  return {duration_cast<milliseconds>(first.time_since_epoch()).count(),
          duration_cast<milliseconds>(next.time_since_epoch()).count()};
}

LimitLedger::LimitLedger(Database& database, Clock clock) : database_(database), clock_(std::move(clock)) {
  if (!clock_) clock_ = now_milliseconds;
}

Admission LimitLedger::admit(std::vector<LimitScope> scopes, const std::string& request_id,
                             long long estimated_tokens) {
  Admission admission;
  for (auto& scope : scopes)
    if (!scope.limits.empty() || !scope.budget.empty()) admission.scopes.push_back(std::move(scope));
  if (admission.scopes.empty()) return admission;
  admission.request_id = request_id;
  admission.estimated_tokens = std::max(0LL, estimated_tokens);
  auto now = clock_();
  admission.admitted_at = now;

  // The windows read while checking, counted once every check has passed.
  struct Count {
    std::string name;
    int64_t start;
    double used;  // -1: the window has no row yet
    double adding;
  };
  std::vector<Count> counts;
  database_.transaction([&] {
    counts.clear();
    for (const auto& scope : admission.scopes) {
      for (const auto& rule : kWindowRules) {
        const auto& limit = scope.limits.*rule.value;
        if (!limit) continue;
        auto start = window_start(now, rule.length);
        auto name = counter(scope, rule.name);
        auto used = read_used(database_, name, start);
        double adding = rule.tokens ? static_cast<double>(admission.estimated_tokens) : 1.0;
        counts.push_back({std::move(name), start, used, adding});
        if (rule.tokens && adding > static_cast<double>(*limit))
          // Waiting cannot help, so no Retry-After: a client that retries on
          // 429 would retry for ever.
          throw Error(ErrorKind::usage,
                      scope.label + " is limited to " + std::to_string(*limit) + " " + rule.per + " (" + rule.name +
                          ") and this request alone is estimated at " + std::to_string(admission.estimated_tokens) +
                          " tokens; lower max_tokens or shorten the conversation",
                      "request_over_token_limit");
        if (std::max(0.0, used) + adding > static_cast<double>(*limit))
          throw refusal("rate_limit_exceeded",
                        scope.label + " is limited to " + std::to_string(*limit) + " " + rule.per + " (" + rule.name + ")",
                        seconds_until(start + rule.length, now));
      }
      if (const auto& limit = scope.limits.concurrent_requests) {
        auto count = database_.prepare("SELECT count(*) FROM limit_leases WHERE scope = ?1 AND expires_at > ?2");
        count.bind(1, scope.id).bind(2, now);
        count.step();
        if (count.integer(0) >= *limit)
          throw refusal("rate_limit_exceeded",
                        scope.label + " is limited to " + std::to_string(*limit) +
                            " concurrent requests (concurrent_requests) and that many are being answered",
                        1);
      }
      for (const auto& rule : kBudgetRules) {
        const auto& budget = scope.budget.*rule.value;
        if (!budget) continue;
        auto period = budget_period(rule.period, now);
        auto spent = std::max(0.0, read_used(database_, counter(scope, rule.name), period.start));
        if (spent < *budget) continue;
        std::string message = scope.label + " has spent $" + format_usd(spent) + " of its $" + format_usd(*budget) +
                              " budget per " + rule.period + " (budget." + rule.name + "); it resets at " +
                              format_timestamp(period.end);
        if (scope.budget.warn_only)
          admission.budget_warnings.push_back(message);
        else
          throw refusal("budget_exceeded", message, seconds_until(period.end, now));
      }
    }
    for (const auto& count : counts) {
      if (count.used < 0)  // a new window: the older ones are done with
        database_.prepare("DELETE FROM limit_counters WHERE scope = ?1 AND window_start < ?2")
            .bind(1, count.name)
            .bind(2, count.start)
            .run();
      add_used(database_, count.name, count.start, count.adding);
    }
    for (const auto& scope : admission.scopes) {
      if (scope.limits.concurrent_requests) {
        database_.prepare("DELETE FROM limit_leases WHERE scope = ?1 AND expires_at <= ?2")
            .bind(1, scope.id)
            .bind(2, now)
            .run();
        database_.prepare("INSERT OR REPLACE INTO limit_leases(scope, request_id, expires_at) VALUES(?1, ?2, ?3)")
            .bind(1, scope.id)
            .bind(2, request_id)
            .bind(3, now + kLeaseMilliseconds)
            .run();
      }
    }
  });
  return admission;
}

void LimitLedger::settle(const Admission& admission, long long tokens,
                         const std::function<double(const LimitScope&)>& spend) {
  if (!admission.active()) return;
  auto now = clock_();
  auto difference = static_cast<double>(std::max(0LL, tokens) - admission.estimated_tokens);
  // Requests-only limits leave nothing to settle: no write transaction then.
  bool anything = false;
  for (const auto& scope : admission.scopes)
    anything = anything || scope.limits.concurrent_requests || !scope.budget.empty() ||
               (difference != 0 && (scope.limits.tokens_per_minute || scope.limits.tokens_per_day));
  if (!anything) return;
  database_.transaction([&] {
    for (const auto& scope : admission.scopes) {
      for (const auto& rule : kWindowRules) {
        if (!rule.tokens || !(scope.limits.*rule.value) || difference == 0) continue;
        // The window the request was admitted in, even if it has ended since.
        add_used(database_, counter(scope, rule.name), window_start(admission.admitted_at, rule.length), difference);
      }
      if (scope.limits.concurrent_requests)
        database_.prepare("DELETE FROM limit_leases WHERE scope = ?1 AND request_id = ?2")
            .bind(1, scope.id)
            .bind(2, admission.request_id)
            .run();
      if (scope.budget.empty()) continue;
      double amount = spend ? spend(scope) : 0;
      if (!(amount > 0) || !std::isfinite(amount)) continue;
      for (const auto& rule : kBudgetRules)
        if (scope.budget.*rule.value)
          add_used(database_, counter(scope, rule.name), budget_period(rule.period, now).start, amount);
    }
  });
}

std::vector<BudgetPeriod> LimitLedger::budget_periods(const LimitScope& scope) {
  std::vector<BudgetPeriod> periods;
  auto now = clock_();
  for (const auto& rule : kBudgetRules) {
    const auto& budget = scope.budget.*rule.value;
    if (!budget) continue;
    auto period = budget_period(rule.period, now);
    BudgetPeriod shown;
    shown.scope = scope.label;
    shown.period = rule.period;
    shown.budget = *budget;
    shown.spent = std::max(0.0, read_used(database_, counter(scope, rule.name), period.start));
    shown.resets_at = period.end;
    shown.warn_only = scope.budget.warn_only;
    periods.push_back(std::move(shown));
  }
  return periods;
}

}  // namespace weir
