#include "core/metrics/request_metrics.hpp"

#include <charconv>

#include "core/error.hpp"
#include "core/store/request_log.hpp"

namespace weir {

namespace {

// Label values are quoted; the text format escapes backslash, quote and newline.
std::string label_value(const std::string& value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char character : value) {
    if (character == '\\')
      escaped += "\\\\";
    else if (character == '"')
      escaped += "\\\"";
    else if (character == '\n')
      escaped += "\\n";
    else
      escaped += character;
  }
  return escaped;
}

std::string labels(std::initializer_list<std::pair<const char*, std::string>> pairs) {
  std::string text = "{";
  bool first = true;
  for (const auto& [name, value] : pairs) {
    if (!first) text += ',';
    first = false;
    text += name;
    text += "=\"";
    text += label_value(value);
    text += '"';
  }
  return text + "}";
}

// The shortest text that reads back as the same double ("0.25", not "0.25000000000000000").
std::string number(double value) {
  char buffer[40];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& label_text, const std::string& value) {
  out += name;
  out += label_text;
  out += ' ';
  out += value;
  out += '\n';
}

// What an upstream failure is called when the upstream answered no status.
std::string failure_status(int status, const std::string& otherwise) {
  return status != 0 ? std::to_string(status) : otherwise;
}

}  // namespace

void RequestMetrics::Histogram::add(double seconds) {
  for (size_t bucket = 0; bucket < kBucketSeconds.size(); ++bucket)
    if (seconds <= kBucketSeconds[bucket]) {
      ++buckets[bucket];
      break;
    }
  ++count;  // above the last bound: only in +Inf (count)
  sum += seconds;
}

void RequestMetrics::observe(const RequestRecord& row, const Error* failure) {
  // A request that failed before its target resolved names whatever the
  // caller sent as its model: as labels, those would grow without bound.
  const bool resolved = !row.provider.empty();
  const std::string gateway = resolved ? row.gateway_name : std::string();
  const std::string model = resolved ? row.model : std::string();
  std::lock_guard lock(mutex_);
  ++requests_[{row.front_door, gateway, row.provider, model, row.status}];
  auto& totals = totals_[{gateway, row.provider, model}];
  totals.prompt_tokens += row.prompt_tokens;
  totals.completion_tokens += row.completion_tokens;
  totals.cached_tokens += row.cached_tokens;
  totals.cost += row.cost;
  latency_[gateway].add(row.latency_ms / 1000);
  if (row.time_to_first_token_ms) time_to_first_token_[gateway].add(*row.time_to_first_token_ms / 1000);
  if (row.cache == "hit") ++cache_hits_[gateway];

  // A routed request's failed attempts are each an upstream error, whether or
  // not a later target served; the final error would count one of them twice.
  bool routed = row.routing.is_object() && row.routing.contains("attempts");
  if (routed) {
    for (const auto& attempt : row.routing["attempts"])
      if (attempt.value("outcome", "") == "failed")
        ++upstream_errors_[{attempt.value("provider", ""),
                            failure_status(attempt.value("status", 0), attempt.value("failure", "error"))}];
  }
  if (!failure) return;
  switch (failure->kind()) {
    case ErrorKind::upstream:
      if (!routed) ++upstream_errors_[{row.provider, failure_status(failure->upstream_status(), "error")}];
      break;
    case ErrorKind::upstream_timeout:
      if (!routed) ++upstream_errors_[{row.provider, failure_status(failure->upstream_status(), "timeout")}];
      break;
    case ErrorKind::rate_limited:
      // Ours, not the upstream's: an upstream 429 carries its status.
      if (failure->upstream_status() == 0)
        ++refusals_[{gateway, failure->code().empty() ? std::string(default_error_code(failure->kind()))
                                                               : failure->code()}];
      else if (!routed)
        ++upstream_errors_[{row.provider, std::to_string(failure->upstream_status())}];
      break;
    default:
      break;
  }
}

void RequestMetrics::observe_refusal(const std::string& code) {
  std::lock_guard lock(mutex_);
  ++refusals_[{"", code}];
}

std::string RequestMetrics::prometheus_text() const {
  std::lock_guard lock(mutex_);
  std::string out;
  family(out, "weir_requests_total", "counter", "Requests answered, by how they ended.");
  for (const auto& [key, count] : requests_) {
    const auto& [front_door, gateway, provider, model, status] = key;
    sample(out, "weir_requests_total",
           labels({{"front_door", front_door}, {"gateway", gateway}, {"provider", provider}, {"model", model},
                   {"status", status}}),
           std::to_string(count));
  }
  family(out, "weir_tokens_total", "counter", "Tokens counted by the upstream (cached: prompt tokens served from its cache).");
  for (const auto& [route, totals] : totals_) {
    const auto& [gateway, provider, model] = route;
    auto route_labels = [&](const char* kind) {
      return labels({{"gateway", gateway}, {"provider", provider}, {"model", model}, {"kind", kind}});
    };
    sample(out, "weir_tokens_total", route_labels("prompt"), std::to_string(totals.prompt_tokens));
    sample(out, "weir_tokens_total", route_labels("completion"), std::to_string(totals.completion_tokens));
    sample(out, "weir_tokens_total", route_labels("cached"), std::to_string(totals.cached_tokens));
  }
  family(out, "weir_cost_usd_total", "counter", "What the requests cost, in USD, from the price table.");
  for (const auto& [route, totals] : totals_) {
    const auto& [gateway, provider, model] = route;
    sample(out, "weir_cost_usd_total", labels({{"gateway", gateway}, {"provider", provider}, {"model", model}}),
           number(totals.cost));
  }
  auto histograms = [&out](const char* name, const char* help, const std::map<std::string, Histogram>& by_gateway) {
    family(out, name, "histogram", help);
    std::string bucket_name = std::string(name) + "_bucket";
    for (const auto& [gateway, histogram] : by_gateway) {
      long long cumulative = 0;
      for (size_t bucket = 0; bucket < kBucketSeconds.size(); ++bucket) {
        cumulative += histogram.buckets[bucket];
        sample(out, bucket_name, labels({{"gateway", gateway}, {"le", number(kBucketSeconds[bucket])}}),
               std::to_string(cumulative));
      }
      sample(out, bucket_name, labels({{"gateway", gateway}, {"le", "+Inf"}}), std::to_string(histogram.count));
      sample(out, std::string(name) + "_sum", labels({{"gateway", gateway}}), number(histogram.sum));
      sample(out, std::string(name) + "_count", labels({{"gateway", gateway}}), std::to_string(histogram.count));
    }
  };
  histograms("weir_request_duration_seconds", "Time from the request to the end of its answer.", latency_);
  histograms("weir_time_to_first_token_seconds", "Time from the request to the first token of the answer (of the whole answer when not streamed).",
             time_to_first_token_);
  family(out, "weir_upstream_errors_total", "counter",
         "Upstream calls that failed, by provider and HTTP status (timeout or a failure class when none came).");
  for (const auto& [key, count] : upstream_errors_)
    sample(out, "weir_upstream_errors_total", labels({{"provider", key.first}, {"status", key.second}}),
           std::to_string(count));
  family(out, "weir_cache_hits_total", "counter", "Answers served from the response cache.");
  for (const auto& [gateway, count] : cache_hits_)
    sample(out, "weir_cache_hits_total", labels({{"gateway", gateway}}), std::to_string(count));
  family(out, "weir_limit_refusals_total", "counter",
         "Requests refused by weir's own limits and budgets, by error code (gateway empty: refused at the door).");
  for (const auto& [key, count] : refusals_)
    sample(out, "weir_limit_refusals_total", labels({{"gateway", key.first}, {"code", key.second}}),
           std::to_string(count));
  return out;
}

}  // namespace weir
