// RequestMetrics — what a server has answered since it started, in the
// Prometheus text format, for `GET /metrics` of `weir serve` (DESIGN.md "HTTP").
//
// The engine hands every request log row it writes to observe() (with the
// error that ended the request, if one did), and the HTTP gatekeeper reports
// the requests it refused before they reached the engine (an API key over its
// requests per minute). From those, counters and histograms by gateway,
// provider and model: requests by status, tokens, cost, latency and time to
// first token, upstream errors by provider and HTTP status, cache hits and
// limit refusals. Counters count from the process's start, as Prometheus
// expects of a counter; `weir usage` is the store's lasting account.
//
// Thread-safe; observe() is one short lock per request.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace weir {

class Error;
struct RequestRecord;

class RequestMetrics {
 public:
  // `failure`: the error the request ended with, or null.
  void observe(const RequestRecord& row, const Error* failure);
  // A request refused at the door (no log row): `code` is the error's code.
  void observe_refusal(const std::string& code);
  // The exposition: "# HELP", "# TYPE" and one line per series.
  std::string prometheus_text() const;

  // Upper bounds (seconds) of the latency and time-to-first-token buckets.
  static constexpr std::array<double, 14> kBucketSeconds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                            1,     2.5,  5,     10,   30,  60,  120};

 private:
  struct Histogram {
    std::array<long long, kBucketSeconds.size()> buckets{};  // not cumulative; summed when written
    long long count = 0;
    double sum = 0;
    void add(double seconds);
  };
  struct Totals {
    long long prompt_tokens = 0;
    long long completion_tokens = 0;
    long long cached_tokens = 0;
    double cost = 0;
  };
  using Route = std::tuple<std::string, std::string, std::string>;  // gateway, provider, model

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, long long>
      requests_;  // front door, gateway, provider, model, status
  std::map<Route, Totals> totals_;
  std::map<std::string, Histogram> latency_;              // by gateway
  std::map<std::string, Histogram> time_to_first_token_;  // by gateway
  std::map<std::pair<std::string, std::string>, long long> upstream_errors_;  // provider, status
  std::map<std::pair<std::string, std::string>, long long> refusals_;         // gateway, code
  std::map<std::string, long long> cache_hits_;                               // by gateway
};

}  // namespace weir
