// GET /v1/models — what a client may put in "model": every gateway (by name;
// its id and slug work too) and every @provider/model the gateways use.
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "http/api_routes.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir::http {

void handle_models(const Request& request, ResponseWriter& response, ApiContext& context) {
  require_allowed(request.caller, CallerAction::list_models);
  auto database = context.pool.acquire();
  auto data = nlohmann::json::array();
  std::set<std::string> bare_models;
  for (const auto& gateway : GatewayRepository(*database).list()) {
    data.push_back({{"id", gateway.name},
                    {"object", "model"},
                    {"created", gateway.created_at / 1000},
                    {"owned_by", "weir"},
                    {"gateway_id", gateway.id},
                    {"slug", gateway.slug()},
                    {"upstream", "@" + gateway.config.provider() + "/" + gateway.config.model()}});
    bare_models.insert("@" + gateway.config.provider() + "/" + gateway.config.model());
  }
  for (const auto& model : bare_models)
    data.push_back({{"id", model}, {"object", "model"}, {"created", 0}, {"owned_by", model.substr(1, model.find('/') - 1)}});
  response.send(200, "application/json", nlohmann::json{{"object", "list"}, {"data", data}}.dump());
}

}  // namespace weir::http
