// The limits ledger's own cost per request, in process: one admit() and one
// settle() for a gateway with requests, tokens and concurrency limits and a
// daily budget (the scope bench/serve's "limits" scenario uses), counted in
// the counters file of a fresh store. Reports the median and p99 of single
// admit+settle pairs in microseconds; prints JSON. Not a test: timings on a
// shared machine are noise to a pass/fail line.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/temporary_directory.hpp"
#include "core/policy/limit_ledger.hpp"
#include "core/store/database.hpp"

int main(int argc, char** argv) {
  int requests = argc > 1 ? std::atoi(argv[1]) : 20000;
  weir::bench::TemporaryDirectory home("limits");
  weir::Database database(home.path() + "/weir.db");
  weir::LimitScope scope;
  scope.id = "gateway:bench";
  scope.label = "gateway 'bench'";
  scope.limits.requests_per_minute = 1'000'000'000;
  scope.limits.tokens_per_minute = 1'000'000'000'000;
  scope.limits.concurrent_requests = 64;
  scope.budget.usd_per_day = 1e6;
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(requests));
  for (int index = 0; index < requests; ++index) {
    auto start = std::chrono::steady_clock::now();
    weir::LimitLedger ledger(database);  // as the engine makes one per request
    auto admission = ledger.admit({scope}, "r" + std::to_string(index), 40);
    ledger.settle(admission, 15, [](const weir::LimitScope&) { return 0.000'2; });
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  nlohmann::json report = {
      {"description", "one admit + settle in process: rpm, tpm and concurrency limits and a daily budget"},
      {"requests", requests},
      {"p50_us", micros[micros.size() / 2]},
      {"p99_us", micros[micros.size() * 99 / 100]}};
  std::cout << report.dump(2) << '\n';
}
