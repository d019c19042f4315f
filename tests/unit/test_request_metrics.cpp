// RequestMetrics: the Prometheus text of what a server answered — label
// values escaped, histogram buckets cumulative, routed failures counted per
// attempt, our own refusals apart from an upstream's 429.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/metrics/request_metrics.hpp"
#include "core/store/request_log.hpp"

using weir::Error;
using weir::ErrorKind;
using weir::RequestMetrics;
using weir::RequestRecord;

namespace {
RequestRecord row(const std::string& status, double latency_ms) {
  RequestRecord record;
  record.front_door = "http";
  record.gateway_name = "support";
  record.provider = "openai";
  record.model = "gpt-4o-mini";
  record.status = status;
  record.latency_ms = latency_ms;
  return record;
}
bool has_line(const std::string& text, const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; }
}  // namespace

TEST_CASE("request metrics: histogram buckets are cumulative and +Inf equals the count") {
  RequestMetrics metrics;
  metrics.observe(row("ok", 3), nullptr);      // 0.003 s: first bucket
  metrics.observe(row("ok", 300), nullptr);    // 0.3 s: the 0.5 bucket
  metrics.observe(row("ok", 500000), nullptr); // beyond the last bound: only +Inf
  auto text = metrics.prometheus_text();
  CHECK(has_line(text, R"(weir_request_duration_seconds_bucket{gateway="support",le="0.005"} 1)"));
  CHECK(has_line(text, R"(weir_request_duration_seconds_bucket{gateway="support",le="0.25"} 1)"));
  CHECK(has_line(text, R"(weir_request_duration_seconds_bucket{gateway="support",le="0.5"} 2)"));
  CHECK(has_line(text, R"(weir_request_duration_seconds_bucket{gateway="support",le="120"} 2)"));
  CHECK(has_line(text, R"(weir_request_duration_seconds_bucket{gateway="support",le="+Inf"} 3)"));
  CHECK(has_line(text, R"(weir_request_duration_seconds_count{gateway="support"} 3)"));
  CHECK(text.find(R"(weir_request_duration_seconds_sum{gateway="support"} 500.30)") != std::string::npos);
}

TEST_CASE("request metrics: label values escape backslash, quote and newline") {
  RequestMetrics metrics;
  auto record = row("ok", 1);
  record.gateway_name = "a\"b\\c\nd";
  metrics.observe(record, nullptr);
  CHECK(metrics.prometheus_text().find(R"(gateway="a\"b\\c\nd")") != std::string::npos);
}

TEST_CASE("request metrics: a routed request counts each failed attempt once, not its final error again") {
  RequestMetrics metrics;
  auto record = row("error", 10);
  record.routing = {{"attempts",
                     {{{"provider", "openai"}, {"outcome", "failed"}, {"status", 500}},
                      {{"provider", "backup"}, {"outcome", "failed"}, {"failure", "timeout"}},
                      {{"provider", "third"}, {"outcome", "skipped"}}}}};
  Error failure(ErrorKind::upstream_timeout, "backup timed out");
  metrics.observe(record, &failure);
  auto text = metrics.prometheus_text();
  CHECK(has_line(text, R"(weir_upstream_errors_total{provider="openai",status="500"} 1)"));
  CHECK(has_line(text, R"(weir_upstream_errors_total{provider="backup",status="timeout"} 1)"));
  CHECK(text.find(R"(provider="third")") == std::string::npos);
}

TEST_CASE("request metrics: our refusals are limit refusals; an upstream's 429 is an upstream error") {
  RequestMetrics metrics;
  Error budget(ErrorKind::rate_limited, "over budget", "budget_exceeded");
  metrics.observe(row("error", 1), &budget);
  Error upstream(ErrorKind::rate_limited, "slow down");
  upstream.set_upstream_status(429);
  metrics.observe(row("error", 1), &upstream);
  metrics.observe_refusal("rate_limit_exceeded");
  auto text = metrics.prometheus_text();
  CHECK(has_line(text, R"(weir_limit_refusals_total{gateway="support",code="budget_exceeded"} 1)"));
  CHECK(has_line(text, R"(weir_limit_refusals_total{gateway="",code="rate_limit_exceeded"} 1)"));
  CHECK(has_line(text, R"(weir_upstream_errors_total{provider="openai",status="429"} 1)"));
  CHECK(has_line(text, R"(weir_requests_total{front_door="http",gateway="support",provider="openai",model="gpt-4o-mini",status="error"} 2)"));
}

TEST_CASE("request metrics: tokens and cost add up per route; cache hits are counted") {
  RequestMetrics metrics;
  auto record = row("ok", 1);
  record.prompt_tokens = 10;
  record.completion_tokens = 4;
  record.cached_tokens = 3;
  record.cost = 0.25;
  metrics.observe(record, nullptr);
  metrics.observe(record, nullptr);
  auto hit = row("ok", 0.2);
  hit.cache = "hit";
  metrics.observe(hit, nullptr);
  auto text = metrics.prometheus_text();
  CHECK(has_line(text, R"(weir_cache_hits_total{gateway="support"} 1)"));
  std::string route = R"(gateway="support",provider="openai",model="gpt-4o-mini")";
  CHECK(has_line(text, "weir_tokens_total{" + route + R"(,kind="prompt"} 20)"));
  CHECK(has_line(text, "weir_tokens_total{" + route + R"(,kind="completion"} 8)"));
  CHECK(has_line(text, "weir_tokens_total{" + route + R"(,kind="cached"} 6)"));
  CHECK(has_line(text, "weir_cost_usd_total{" + route + "} 0.5"));
}

TEST_CASE("request metrics: a request that never resolved adds no label of the caller's choosing") {
  RequestMetrics metrics;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto record = row("error", 1);
    record.gateway_name = "no-such-gateway-" + std::to_string(attempt);
    record.model = "";
    record.provider = "";
    Error missing(ErrorKind::not_found, "no gateway");
    metrics.observe(record, &missing);
  }
  auto text = metrics.prometheus_text();
  CHECK(text.find("no-such-gateway") == std::string::npos);
  CHECK(has_line(text, R"(weir_requests_total{front_door="http",gateway="",provider="",model="",status="error"} 3)"));
}
