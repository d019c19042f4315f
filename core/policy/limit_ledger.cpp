#include "core/policy/limit_ledger.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/hash.hpp"
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

constexpr double kMicro = 1e6;

int64_t micro_usd(double amount) {
  if (!(amount > 0) || !std::isfinite(amount)) return 0;
  return std::min<int64_t>(std::llround(amount * kMicro), LimitCounters::kMaxCount);
}

// The number of the period starting at `start`: consecutive periods have
// consecutive numbers (the counters keep a window by its number's parity).
int64_t period_number(const char* period, int64_t start) {
  using namespace std::chrono;
  if (std::string_view(period) == "day") return start / kDay;
  if (std::string_view(period) == "week") return start / (7 * kDay);  // a week starts 4 days into one of these
  year_month_day date(floor<days>(sys_time<milliseconds>(milliseconds(start))));
  return static_cast<int64_t>(static_cast<int>(date.year())) * 12 + static_cast<unsigned>(date.month());
}

// A counter that may be taken over: nothing counted in its current window
// or period, nor in the one before a tokens window (a request admitted then
// may still settle into it), and no request in flight for a concurrency limit.
LimitCounters::Stale stale_counters(int64_t now) {
  return [now](std::string_view name, const std::vector<std::pair<int64_t, int64_t>>& windows) {
    auto rule = name.substr(name.rfind(':') + 1);
    int64_t oldest_live = -1;  // counts in windows at or after this one keep the counter
    for (const auto& window : kWindowRules)
      if (rule == window.name) oldest_live = window_start(now, window.length) / window.length - 1;
    for (const auto& budget : kBudgetRules)
      if (rule == budget.name) oldest_live = period_number(budget.period, budget_period(budget.period, now).start);
    bool concurrency = rule == "concurrent_requests";
    if (oldest_live < 0 && !concurrency) return false;
    oldest_live %= LimitCounters::kWindowIds;
    for (const auto& [window, count] : windows)
      if (count > 0 && (concurrency || window >= oldest_live)) return false;
    return true;
  };
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

int32_t LimitLedger::counter_slot(const LimitScope& scope, const char* rule, bool create, int64_t now) {
  auto stale = stale_counters(now);
  bool bounded = !scope.overflow_id.empty();
  auto slot = counters_->slot(counter(scope, rule), create, &stale, bounded);
  if (slot >= 0 || !bounded) return slot;
  return counters_->slot(scope.overflow_id + ":" + rule, create, &stale);
}

LimitLedger::LimitLedger(Database& database, Clock clock)
    : counters_(LimitCounters::open(database.path())), clock_(std::move(clock)) {
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
  admission.leases.resize(admission.scopes.size());
  auto now = clock_();
  admission.admitted_at = now;
  auto& counters = *counters_;

  // What no count can change: an estimate over a limit by itself, and spent budgets.
  for (const auto& scope : admission.scopes) {
    for (const auto& rule : kWindowRules) {
      const auto& limit = scope.limits.*rule.value;
      if (rule.tokens && limit && admission.estimated_tokens > *limit)
        // Waiting cannot help, so no Retry-After: a client that retries on
        // 429 would retry for ever.
        throw Error(ErrorKind::usage,
                    scope.label + " is limited to " + std::to_string(*limit) + " " + rule.per + " (" + rule.name +
                        ") and this request alone is estimated at " + std::to_string(admission.estimated_tokens) +
                        " tokens; lower max_tokens or shorten the conversation",
                    "request_over_token_limit");
    }
    if (auto refused = budget_refusal(scope, now, admission.budget_warnings)) throw *refused;
  }

  // Each count is added only if it stays within its limit; a refusal undoes
  // the ones added before it.
  struct Counted {
    int32_t slot;
    int64_t window;
    int64_t amount;
  };
  std::vector<Counted> counted;
  auto undo = [&] {
    for (const auto& count : counted) counters.add(count.slot, count.window, -count.amount);
    for (const auto& lease : admission.leases)
      if (lease.entry >= 0) counters.release_lease(lease.entry, lease.slot);
  };
  try {
    for (size_t index = 0; index < admission.scopes.size(); ++index) {
      const auto& scope = admission.scopes[index];
      for (const auto& rule : kWindowRules) {
        const auto& limit = scope.limits.*rule.value;
        if (!limit) continue;
        int64_t amount = rule.tokens ? admission.estimated_tokens : 1;
        if (amount == 0) continue;
        auto slot = counter_slot(scope, rule.name, true, now);
        auto start = window_start(now, rule.length);
        int64_t used = 0;
        if (!counters.add_within(slot, start / rule.length, amount, *limit, used))
          throw refusal("rate_limit_exceeded",
                        scope.label + " is limited to " + std::to_string(*limit) + " " + rule.per + " (" + rule.name + ")",
                        seconds_until(start + rule.length, now));
        counted.push_back({slot, start / rule.length, amount});
      }
      if (const auto& limit = scope.limits.concurrent_requests) {
        auto slot = counter_slot(scope, "concurrent_requests", true, now);
        int64_t used = 0;
        bool admitted = counters.add_within(slot, 0, 1, *limit, used) ||
                        (counters.reclaim_leases(slot, now) > 0 && counters.add_within(slot, 0, 1, *limit, used));
        if (!admitted)
          throw refusal("rate_limit_exceeded",
                        scope.label + " is limited to " + std::to_string(*limit) +
                            " concurrent requests (concurrent_requests) and that many are being answered",
                        1);
        auto entry = counters.take_lease(slot, now + kLeaseMilliseconds, hash64(request_id));
        if (entry < 0) {
          counters.add(slot, 0, -1);
          throw Error(ErrorKind::runtime, "the limits counters file " + counters.path() + " has no free lease left (" +
                                              std::to_string(LimitCounters::kLeases) +
                                              " requests in flight under concurrency limits)");
        }
        admission.leases[index] = {slot, entry};
      }
    }
  } catch (const Error&) {
    undo();
    throw;
  }
  return admission;
}

void LimitLedger::settle(const Admission& admission, long long tokens,
                         const std::function<double(const LimitScope&)>& spend) {
  if (!admission.active()) return;
  auto difference = std::max(0LL, tokens) - admission.estimated_tokens;
  auto& counters = *counters_;
  for (size_t index = 0; index < admission.scopes.size(); ++index) {
    const auto& scope = admission.scopes[index];
    for (const auto& rule : kWindowRules) {
      if (!rule.tokens || !(scope.limits.*rule.value) || difference == 0) continue;
      // The window the request was admitted in, even if it has ended since.
      auto slot = counter_slot(scope, rule.name, true, admission.admitted_at);
      counters.add(slot, window_start(admission.admitted_at, rule.length) / rule.length, difference);
    }
    if (index < admission.leases.size() && admission.leases[index].entry >= 0)
      counters.release_lease(admission.leases[index].entry, admission.leases[index].slot);
    if (!scope.budget.empty()) charge(scope, spend ? spend(scope) : 0);
  }
}

std::optional<Error> LimitLedger::budget_refusal(const LimitScope& scope, std::vector<std::string>* warnings) {
  std::vector<std::string> found;
  auto refused = budget_refusal(scope, clock_(), found);
  if (warnings) warnings->insert(warnings->end(), found.begin(), found.end());
  return refused;
}

std::optional<Error> LimitLedger::budget_refusal(const LimitScope& scope, int64_t now,
                                                 std::vector<std::string>& warnings) {
  for (const auto& rule : kBudgetRules) {
    const auto& budget = scope.budget.*rule.value;
    if (!budget) continue;
    auto period = budget_period(rule.period, now);
    auto slot = counter_slot(scope, rule.name, false, now);
    auto spent = slot < 0 ? 0 : counters_->used(slot, period_number(rule.period, period.start));
    if (spent < micro_usd(*budget)) continue;
    std::string message = scope.label + " has spent $" + format_usd(static_cast<double>(spent) / kMicro) +
                          " of its $" + format_usd(*budget) + " budget per " + rule.period + " (budget." + rule.name +
                          "); it resets at " + format_timestamp(period.end);
    if (!scope.budget.warn_only) return refusal("budget_exceeded", message, seconds_until(period.end, now));
    warnings.push_back(std::move(message));
  }
  return std::nullopt;
}

void LimitLedger::charge(const LimitScope& scope, double usd) {
  auto amount = micro_usd(usd);
  if (amount == 0 || scope.budget.empty()) return;
  auto now = clock_();
  for (const auto& rule : kBudgetRules)
    if (scope.budget.*rule.value)
      counters_->add(counter_slot(scope, rule.name, true, now),
                     period_number(rule.period, budget_period(rule.period, now).start), amount);
}

std::vector<BudgetPeriod> LimitLedger::budget_periods(const LimitScope& scope) {
  std::vector<BudgetPeriod> periods;
  auto now = clock_();
  for (const auto& rule : kBudgetRules) {
    const auto& budget = scope.budget.*rule.value;
    if (!budget) continue;
    auto period = budget_period(rule.period, now);
    auto slot = counter_slot(scope, rule.name, false, now);
    BudgetPeriod shown;
    shown.scope = scope.label;
    shown.period = rule.period;
    shown.budget = *budget;
    shown.spent =
        slot < 0 ? 0 : static_cast<double>(counters_->used(slot, period_number(rule.period, period.start))) / kMicro;
    shown.resets_at = period.end;
    shown.warn_only = scope.budget.warn_only;
    periods.push_back(std::move(shown));
  }
  return periods;
}

std::vector<std::string> LimitLedger::counter_names(const std::string& prefix) { return counters_->names(prefix); }

std::vector<std::pair<int64_t, int64_t>> LimitLedger::counter_windows(const std::string& name) {
  auto slot = counters_->slot(name, false);
  return slot < 0 ? std::vector<std::pair<int64_t, int64_t>>{} : counters_->windows(slot);
}

}  // namespace weir
