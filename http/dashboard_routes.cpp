// The dashboard of `weir serve`: GET / is the page (http/web/dashboard.*,
// compiled in), GET /v1/dashboard its data (core/dashboard), behind the
// same API keys as the rest of the API and, like /metrics, not for public
// keys. The page holds no data, so it is served without a key and asks for
// one when the data route answers 401.
#include <nlohmann/json.hpp>

#include "core/dashboard/dashboard_report.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/policy/caller_policy.hpp"
#include "http/api_routes.hpp"

namespace weir::http {

void mount_dashboard_routes(Server& server, ApiContext& context) {
  server.route("GET", "/", [](const Request&, ResponseWriter& response) { send_page_asset(response, "dashboard.html", false); });
  server.route("GET", "/assets/dashboard/*", [](const Request& request, ResponseWriter& response) {
    auto name = std::string_view(request.path).substr(std::string_view("/assets/dashboard/").size());
    if (name.rfind("dashboard.", 0) != 0 || name == "dashboard.html")
      throw Error(ErrorKind::not_found, "no such file of the dashboard: " + std::string(name));
    send_page_asset(response, name, true);
  });
  server.route("GET", "/v1/dashboard", [&context](const Request& request, ResponseWriter& response) {
    require_allowed(request.caller, CallerAction::read_metrics);
    auto database = context.pool.acquire();
    response.send(200, "application/json",
                  dashboard_report(*database, now_milliseconds()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  {{"Cache-Control", "no-store"}});
  });
}

}  // namespace weir::http
