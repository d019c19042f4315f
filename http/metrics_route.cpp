// GET /metrics — the server's counters in the Prometheus text format
// (core/metrics/request_metrics.hpp), behind the same keys as the API.
#include "core/policy/caller_policy.hpp"
#include "http/api_routes.hpp"

namespace weir::http {

void handle_metrics(const Request& request, ResponseWriter& response, ApiContext& context) {
  require_allowed(request.caller, CallerAction::read_metrics);
  response.send(200, "text/plain; version=0.0.4; charset=utf-8", context.metrics.prometheus_text());
}

}  // namespace weir::http
