// LimitLedger — limits and budgets counted in the counters file beside the
// store (core/policy/limit_counters.hpp), so every weir process on one home
// (two `weir serve`, a `weir chat` beside them) shares them and a restart
// keeps them (DESIGN.md "The engine pipeline", step 2), without a write
// transaction per request.
//
// Limits are fixed windows: the minute, hour or UTC day a request starts in.
// admit() first refuses a request whose estimate alone passes a tokens limit
// (Error(usage, "request_over_token_limit"): waiting cannot help it) and
// checks the budgets: Error(rate_limited, "budget_exceeded") naming the reset
// time once a period's spend has reached the budget. Then it counts the
// request and its estimated tokens in each window, each count an atomic
// add-if-within-the-limit, and takes a lease for the concurrency limit; the
// first count that would pass its limit undoes the ones before and refuses
// with Error(rate_limited, "rate_limit_exceeded") naming the scope and the
// limit. Each refusal carries Retry-After: the seconds until the window or
// period ends, rounded up, at least 1 (1 for concurrency). settle() replaces
// the estimate by the real tokens (in the window the request was admitted
// in, while the file still holds it), adds the spend (micro-USD) to each
// budget's period and gives the lease back. A lease left by a killed process
// is taken back once its process is gone, else after kLeaseMilliseconds.
//
// Tokens: a request is refused when the window's tokens plus its estimate
// pass the limit, so the tokens admitted in a window stay within the limit
// as long as estimates are not below the real usage, across processes too
// (the add and the check are one compare-and-swap). Budgets: a request is
// refused once the period's spend has reached the budget, so the request that
// crosses it is the last one served; `action: warn` answers and reports it.
//
// The clock (unix milliseconds, UTC) is injected; admit and settle may be
// called from any thread; a LimitLedger is cheap to make (the file is mapped
// once per process).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/policy/limit_counters.hpp"
#include "core/policy/limit_settings.hpp"

namespace weir {

class Database;

// One party whose limits and budget a request counts against.
struct LimitScope {
  std::string id;     // counter prefix: "gateway:ID", "key:ID", "key:ID@ADDRESS", "provider:NAME"
  std::string label;  // for messages: "gateway 'support'"
  // For scopes callers can multiply (a public key's, per remote address):
  // where they count together once the counters file has no room for them
  // ("key:ID@*"; LimitCounters' `bounded` names). Empty for the others.
  std::string overflow_id;
  LimitSettings limits;
  BudgetSettings budget;
};

// A concurrency lease an admission holds: the counter's slot and its entry.
struct HeldLease {
  int32_t slot = -1;
  int32_t entry = -1;
};

struct Admission {
  std::vector<LimitScope> scopes;
  std::string request_id;
  long long estimated_tokens = 0;
  int64_t admitted_at = 0;
  std::vector<std::string> budget_warnings;  // spent budgets with action warn
  std::vector<HeldLease> leases;             // per scope; entry -1: none
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

  // The counters of `database`'s store; Error(runtime) if their file cannot
  // be opened.
  explicit LimitLedger(Database& database, Clock clock = {});

  // Scopes with no limit and no budget are ignored; with none left, nothing
  // is read or written and the admission is inactive.
  Admission admit(std::vector<LimitScope> scopes, const std::string& request_id, long long estimated_tokens);
  // `tokens`: the request's real input + output tokens; `spend(scope)`: the
  // USD it cost that scope. Does nothing for an inactive admission.
  void settle(const Admission& admission, long long tokens, const std::function<double(const LimitScope&)>& spend);

  std::vector<BudgetPeriod> budget_periods(const LimitScope& scope);

  // A scope whose budget is checked and charged apart from an admission (a
  // provider's: only the one that serves is known after the call). The
  // budget_exceeded Error admit() would throw for `scope`'s budget, or
  // nullopt; a spent `action: warn` budget adds its message to `warnings`.
  std::optional<Error> budget_refusal(const LimitScope& scope, std::vector<std::string>* warnings = nullptr);
  // Adds `usd` to each of `scope`'s budget periods.
  void charge(const LimitScope& scope, double usd);

  // The counters whose names start with `prefix` ("key:ID@"), and the
  // windows a counter holds now (window number, count): for `weir budget
  // show` and for tests.
  std::vector<std::string> counter_names(const std::string& prefix);
  std::vector<std::pair<int64_t, int64_t>> counter_windows(const std::string& counter);

 private:
  std::optional<Error> budget_refusal(const LimitScope& scope, int64_t now, std::vector<std::string>& warnings);
  // The slot of `scope`'s counter `rule`, or of its overflow scope's when the
  // file has no room for it; -1 when absent and not `create`d.
  int32_t counter_slot(const LimitScope& scope, const char* rule, bool create, int64_t now);

  std::shared_ptr<LimitCounters> counters_;
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
