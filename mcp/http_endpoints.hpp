// HttpEndpoints — the MCP front door of `weir serve`: the gateway tool at
// /v1/mcp/inference, the collection tools at /v1/mcp/collections and a tool
// set's tools (`weir toolset`, its sources as they are now) at
// /v1/mcp/toolsets/NAME, over the streamable-HTTP transport
// (mcp/protocol/streamable_http_server.hpp), the first two configured by the
// headers of their initialize request (http_session_config.hpp). Every call
// is a row of the tool call log, with the caller's key name.
//
// Every request is first shown to the authorizer (by default: the caller the
// server's gatekeeper admitted, with its key checked and rate limited, and
// web pages refused by their Origin as the spec asks); a weir::Error it
// throws is the answer. Then:
//   - public keys: /v1/mcp/inference only, and X-Mcp-Model-Name must be the
//     gateway's full id (403 otherwise); their invoke calls run the engine
//     with ChatInput::public_caller; /v1/mcp/collections and tool sets are 403;
//   - a key limited to some tool sets reaches only those (403 otherwise);
//   - a session answers only requests made with the key that created it.
// Bad or missing configuration headers are 400 naming the header (OpenAI
// error objects, like every error of weir serve); transport faults (session
// id, protocol version) carry JSON-RPC error bodies.
//
// shutdown() ends every session and cancels its calls, waiting for them up
// to `wait`; call it before the server stops (its drain then has only short
// requests left). The destructor waits for calls without a bound.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/net/request.hpp"
#include "core/net/response_writer.hpp"
#include "core/net/server.hpp"
#include "core/metrics/request_metrics.hpp"
#include "core/rag/shared_searcher.hpp"
#include "core/store/database_pool.hpp"
#include "mcp/http_session_config.hpp"
#include "core/policy/caller_policy.hpp"
#include "mcp/protocol/streamable_http_server.hpp"

namespace weir::mcp {

// Who calls (caller_policy.hpp): key_name is empty when the server runs without keys.
using HttpCaller = weir::Caller;
// Throws weir::Error to refuse the request.
using HttpAuthorizer = std::function<HttpCaller(const http::Request&)>;
// The caller as the server's gatekeeper established it (http::Request::caller).
HttpCaller caller_from_gatekeeper(const http::Request& request);

inline constexpr const char* kInferencePath = "/v1/mcp/inference";
inline constexpr const char* kCollectionsPath = "/v1/mcp/collections";
inline constexpr const char* kToolsetsPrefix = "/v1/mcp/toolsets/";  // + a tool set's name

class HttpEndpoints {
 public:
  // `searcher` serves the search tools (the server's own, so indexes load
  // once) and `metrics` (or null) counts the gateway calls; both must outlive
  // this object.
  HttpEndpoints(DatabasePool& pool, SharedSearcher& searcher, HttpAuthorizer authorize = caller_from_gatekeeper,
                protocol::StreamableHttpOptions options = {}, RequestMetrics* metrics = nullptr);
  ~HttpEndpoints();
  HttpEndpoints(const HttpEndpoints&) = delete;
  HttpEndpoints& operator=(const HttpEndpoints&) = delete;

  // POST, GET and DELETE on both paths.
  void mount(http::Server& server);
  // What the mounted routes run.
  void handle(HttpEndpoint endpoint, const http::Request& request, http::ResponseWriter& response);
  // True when every call ended within `wait`.
  bool shutdown(std::chrono::milliseconds wait = std::chrono::seconds(5));

  size_t session_count() const;

 private:
  protocol::StreamableHttpServer::SessionSetup make_session(HttpEndpoint endpoint, const HttpCaller& caller,
                                                            const std::string& toolset,
                                                            const protocol::HttpRequestView& request);

  DatabasePool& pool_;
  SharedSearcher& searcher_;
  RequestMetrics* metrics_;
  HttpAuthorizer authorize_;
  std::unique_ptr<protocol::StreamableHttpServer> inference_;
  std::unique_ptr<protocol::StreamableHttpServer> collections_;
  std::unique_ptr<protocol::StreamableHttpServer> toolsets_;
};

}  // namespace weir::mcp
