// The OpenAI-compatible API of `weir serve` (DESIGN.md "HTTP"):
//   POST /v1/chat/completions   a gateway (or @provider/model) as the model,
//                               streamed or not, through the one Engine
//   GET  /v1/models             gateways and the models they use, as a list
//   POST /v1/collections/search the collection search, as JSON
//   POST /v1/embeddings         vectors from weir's embedders (local, a collection's, a provider's)
//   GET  /metrics               what this server answered, Prometheus text
//   GET  /healthz               liveness, without a key
//   /v1/files, /v1/batches      the OpenAI Batch API (batch_routes.cpp)
//   /v1/chat-clients/.../sessions, /v1/chat-sessions/..., /chat/...
//                               web chat sessions and their page (chat_session_routes.cpp)
//   GET  /, /v1/dashboard       the dashboard and its data (dashboard_routes.cpp)
// Handlers only translate between HTTP/JSON and core: a malformed body is a
// 400 naming the problem, core's weir::Errors become error objects with their
// status, and a client that hangs up cancels the upstream call.
#pragma once

#include <memory>

#include "core/chat_client/session_answers.hpp"
#include "core/engine/resolved_targets.hpp"
#include "core/metrics/request_metrics.hpp"
#include "core/net/keep_alive_ticker.hpp"
#include "core/net/server.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/request_log_writer.hpp"

namespace weir {
class SharedSearcher;
class BatchService;
class Database;
struct OpenAiBatchFile;
}

namespace weir::http {

struct ApiContext {
  explicit ApiContext(DatabasePool& pool, std::chrono::milliseconds keep_alive_interval);
  ~ApiContext();
  DatabasePool& pool;
  RequestLogWriter log_writer;  // rows are written after the answers, in batches
  KeepAliveTicker keep_alive;
  std::unique_ptr<SharedSearcher> searcher;  // one set of loaded indexes for every search request
  ResolvedTargets resolved_targets;          // what gateways resolve to, until the store changes them
  RequestMetrics metrics;                    // counted since the server started, for GET /metrics
  BatchService* batches = nullptr;           // runs the OpenAI Batch API's jobs (null: they wait for one)
  SessionAnswers chat_answers;               // web chat sessions being answered: one answer at a time each
};

void mount_api_routes(Server& server, ApiContext& context);

// The request body as a JSON object; Error(usage) saying where it is broken.
nlohmann::json parse_json_body(const Request& request);

// Handlers, one file each.
void handle_chat_completions(const Request& request, ResponseWriter& response, ApiContext& context);
void handle_models(const Request& request, ResponseWriter& response, ApiContext& context);
void handle_collection_search(const Request& request, ResponseWriter& response, ApiContext& context);
void handle_metrics(const Request& request, ResponseWriter& response, ApiContext& context);
void handle_embeddings(const Request& request, ResponseWriter& response, ApiContext& context);
// Web chat: sessions of chat clients (chat_session_routes.cpp) and their page
// with its assets (chat_page_routes.cpp).
void mount_chat_session_routes(Server& server, ApiContext& context);
void mount_chat_page_routes(Server& server);
// The dashboard at / and its data, GET /v1/dashboard (dashboard_routes.cpp).
void mount_dashboard_routes(Server& server, ApiContext& context);
// One of weir's pages' files (http/web/) with the pages' headers: a strict
// Content-Security-Policy (this server's own script, style and connections
// only), nosniff, no referrer, no framing; `cache`: revalidate, else no-store.
void send_page_asset(ResponseWriter& response, std::string_view name, bool cache);
// /v1/files and /v1/batches (batch_routes.cpp).
void mount_batch_routes(Server& server, ApiContext& context);
// The uploaded input file `file_id`, parsed; Error(usage) naming its first
// bad line, Error(not_found) when there is no such file, and the caller's
// rules for each request's model.
OpenAiBatchFile openai_batch_file_checked(Database& database, const std::string& file_id, const Caller& caller);

}  // namespace weir::http
