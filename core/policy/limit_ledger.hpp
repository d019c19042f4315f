// LimitLedger — limits and budgets counted in the store, so every weir
// process on one home (two `weir serve`, a `weir chat` beside them) shares
// them and a restart keeps them (DESIGN.md "The engine pipeline", step 2).
//
// Limits are fixed windows: the minute, hour or UTC day a request starts in.
// admit() runs one short write transaction: it reads the scope's counters,
// refuses with Error(rate_limited, "rate_limit_exceeded") naming the scope and
// the limit, or with Error(rate_limited, "budget_exceeded") naming the reset
// time, each with Retry-After (the seconds until the window or period ends,
// rounded up, at least 1); otherwise it counts the request and its estimated
// tokens and takes a lease for the concurrency limit. settle() (one more
// transaction) replaces the estimate by the real tokens, adds the USD spent
// to each budget's period and gives the lease back. A lease left by a killed
// process expires after kLeaseMilliseconds.
//
// Tokens: a request is refused when the window's tokens plus its estimate
// pass the limit, so the tokens admitted in a window stay within the limit
// as long as estimates are not below the real usage. Budgets: a request is
// refused once the period's spend has reached the budget, so the request that
// crosses it is the last one served; `action: warn` answers and reports it.
//
// The clock (unix milliseconds, UTC) is injected; admit and settle may be
// called from any thread, each with a Database of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/policy/limit_settings.hpp"

namespace weir {

class Database;

// One party whose limits and budget a request counts against.
struct LimitScope {
  std::string id;     // counter prefix: "gateway:ID", "key:ID", "key:ID@ADDRESS", "provider:NAME"
  std::string label;  // for messages: "gateway 'support'"
  LimitSettings limits;
  BudgetSettings budget;
};

struct Admission {
  std::vector<LimitScope> scopes;
  std::string request_id;
  long long estimated_tokens = 0;
  int64_t admitted_at = 0;
  std::vector<std::string> budget_warnings;  // spent budgets with action warn
  bool active() const { return !scopes.empty(); }
};

// One budget period of one scope, for `weir budget show`.
struct BudgetPeriod {
  std::string scope;   // the scope's label
  std::string period;  // "day", "week", "month"
  double budget = 0;
  double spent = 0;
  int64_t resets_at = 0;  // unix ms
  bool warn_only = false;
};

class LimitLedger {
 public:
  using Clock = std::function<int64_t()>;  // unix milliseconds
  static constexpr int64_t kLeaseMilliseconds = 10 * 60 * 1000;

  explicit LimitLedger(Database& database, Clock clock = {});

  // Scopes with no limit and no budget are ignored; with none left, nothing
  // is read or written and the admission is inactive.
  Admission admit(std::vector<LimitScope> scopes, const std::string& request_id, long long estimated_tokens);
  // `tokens`: the request's real input + output tokens; `spend(scope)`: the
  // USD it cost that scope. Does nothing for an inactive admission.
  void settle(const Admission& admission, long long tokens, const std::function<double(const LimitScope&)>& spend);

  std::vector<BudgetPeriod> budget_periods(const LimitScope& scope);

 private:
  Database& database_;
  Clock clock_;
};

// The start and end (unix ms, UTC) of the day, week (from Monday) or
// calendar month holding `at`.
struct Period {
  int64_t start = 0;
  int64_t end = 0;
};
Period budget_period(const std::string& period, int64_t at);

}  // namespace weir
