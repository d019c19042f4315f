#include "http/api_routes.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/rag/shared_searcher.hpp"

namespace weir::http {

ApiContext::ApiContext(DatabasePool& database_pool, std::chrono::milliseconds keep_alive_interval)
    : pool(database_pool), log_writer(database_pool), keep_alive(keep_alive_interval), searcher(std::make_unique<SharedSearcher>(database_pool)) {}

ApiContext::~ApiContext() = default;

nlohmann::json parse_json_body(const Request& request) {
  if (request.body.empty())
    throw Error(ErrorKind::usage, "the request body is empty; send a JSON object (Content-Type: application/json)");
  // The one JSON input policy: too deep, a number too large for a double,
  // invalid UTF-8 or a key given twice is the caller's mistake, a 400.
  auto body = read_json_or_throw(request.body, "the request body", ErrorKind::usage);
  if (!body.is_object()) throw Error(ErrorKind::usage, "the request body must be a JSON object, not " + std::string(body.type_name()));
  return body;
}

void mount_api_routes(Server& server, ApiContext& context) {
  server.route("POST", "/v1/chat/completions",
               [&context](const Request& request, ResponseWriter& response) { handle_chat_completions(request, response, context); });
  server.route("GET", "/v1/models",
               [&context](const Request& request, ResponseWriter& response) { handle_models(request, response, context); });
  server.route("POST", "/v1/collections/search", [&context](const Request& request, ResponseWriter& response) {
    handle_collection_search(request, response, context);
  });
  server.route("POST", "/v1/embeddings",
               [&context](const Request& request, ResponseWriter& response) { handle_embeddings(request, response, context); });
  server.route("GET", "/metrics",
               [&context](const Request& request, ResponseWriter& response) { handle_metrics(request, response, context); });
  mount_batch_routes(server, context);
  mount_chat_session_routes(server, context);
  mount_chat_page_routes(server);
  mount_dashboard_routes(server, context);
  server.route("GET", "/healthz", [](const Request&, ResponseWriter& response) {
    response.send(200, "application/json", nlohmann::json{{"status", "ok"}, {"version", WEIR_VERSION}}.dump());
  });
}

}  // namespace weir::http
