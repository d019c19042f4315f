#include "mcp/http_endpoints.hpp"

#include <iostream>
#include <sstream>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/tools/toolsets.hpp"
#include "mcp/collection_tools.hpp"
#include "mcp/gateway_tool.hpp"
#include "mcp/source_tools.hpp"
#include "mcp/tool_call_recorder.hpp"

namespace weir::mcp {

namespace {

// http::ResponseWriter seen through the transport's interface.
class WriterResponder : public protocol::HttpResponder {
 public:
  explicit WriterResponder(http::ResponseWriter& writer) : writer_(writer) {}
  void send(int status, std::string_view content_type, std::string_view body,
            const protocol::HttpHeaders& headers) override {
    writer_.send(status, content_type, body, headers);
  }
  void begin_stream(int status, std::string_view content_type, const protocol::HttpHeaders& headers) override {
    writer_.begin_stream(status, content_type, headers);
  }
  bool write(std::string_view piece) override { return writer_.write(piece); }
  void finish() override { writer_.finish(); }
  // A hang-up and a server that begins to stop end a call's POST alike.
  void on_end(std::function<void()> callback) override {
    writer_.on_disconnect(callback);
    writer_.on_shutdown(std::move(callback));
  }

 private:
  http::ResponseWriter& writer_;
};

protocol::ServerInfo server_info(HttpEndpoint endpoint) {
  protocol::ServerInfo info;
  info.name = "weir";
  info.title = "weir";
  info.version = WEIR_VERSION;
  info.instructions = endpoint == HttpEndpoint::inference
                          ? "weir serves an AI gateway of this machine as a tool: the invoke_* tool asks its model."
                      : endpoint == HttpEndpoint::collections
                          ? "weir serves knowledge collections of this machine as tools: the *_search tool searches "
                            "their documents."
                          : "weir serves a tool set: tools that call web services and MCP servers.";
  return info;
}

}  // namespace

HttpCaller caller_from_gatekeeper(const http::Request& request) {
  return request.caller;
}

HttpEndpoints::HttpEndpoints(DatabasePool& pool, SharedSearcher& searcher, HttpAuthorizer authorize,
                             protocol::StreamableHttpOptions options, RequestMetrics* metrics)
    : pool_(pool),
      searcher_(searcher),
      metrics_(metrics),
      authorize_(std::move(authorize)),
      inference_(std::make_unique<protocol::StreamableHttpServer>(server_info(HttpEndpoint::inference), options)),
      collections_(std::make_unique<protocol::StreamableHttpServer>(server_info(HttpEndpoint::collections), options)),
      toolsets_(std::make_unique<protocol::StreamableHttpServer>(server_info(HttpEndpoint::toolset), options)) {}

HttpEndpoints::~HttpEndpoints() = default;  // the transports wait for their calls

void HttpEndpoints::mount(http::Server& server) {
  for (const char* method : {"POST", "GET", "DELETE"}) {
    server.route(method, kInferencePath, [this](const http::Request& request, http::ResponseWriter& response) {
      handle(HttpEndpoint::inference, request, response);
    });
    server.route(method, kCollectionsPath, [this](const http::Request& request, http::ResponseWriter& response) {
      handle(HttpEndpoint::collections, request, response);
    });
    server.route(method, std::string(kToolsetsPrefix) + "*",
                 [this](const http::Request& request, http::ResponseWriter& response) {
                   handle(HttpEndpoint::toolset, request, response);
                 });
  }
}

bool HttpEndpoints::shutdown(std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  auto left = [&deadline] {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
                    std::chrono::milliseconds(0));
  };
  bool inference_done = inference_->shutdown(wait);
  bool collections_done = collections_->shutdown(left());
  bool toolsets_done = toolsets_->shutdown(left());
  return inference_done && collections_done && toolsets_done;
}

size_t HttpEndpoints::session_count() const {
  return inference_->session_count() + collections_->session_count() + toolsets_->session_count();
}

void HttpEndpoints::handle(HttpEndpoint endpoint, const http::Request& request, http::ResponseWriter& response) {
  try {
    auto caller = authorize_(request);
    if (endpoint == HttpEndpoint::collections) require_allowed(caller, CallerAction::use_collection_tools);
    std::string toolset;
    if (endpoint == HttpEndpoint::toolset) {
      toolset = request.path.substr(std::string_view(kToolsetsPrefix).size());
      if (toolset.empty() || toolset.find('/') != std::string::npos)
        throw Error(ErrorKind::not_found, "no such MCP endpoint: " + request.path + " (tool sets are at " +
                                              kToolsetsPrefix + "NAME)");
      require_toolset_allowed(caller, toolset);
    }

    protocol::HttpRequestView view;
    view.method = request.method;
    view.headers = &request.headers;
    view.body = request.body;
    view.owner = caller.key_name;
    WriterResponder responder(response);
    auto& transport = endpoint == HttpEndpoint::inference     ? *inference_
                      : endpoint == HttpEndpoint::collections ? *collections_
                                                              : *toolsets_;
    transport.handle(view, responder, [this, endpoint, &caller, &toolset](const protocol::HttpRequestView& initialize) {
      return make_session(endpoint, caller, toolset, initialize);
    });
  } catch (const Error& error) {
    if (!response.answered()) response.send_error(error);
  }
}

protocol::StreamableHttpServer::SessionSetup HttpEndpoints::make_session(HttpEndpoint endpoint,
                                                                          const HttpCaller& caller,
                                                                          const std::string& toolset,
                                                                          const protocol::HttpRequestView& request) {
  if (endpoint == HttpEndpoint::toolset) {
    ToolSources sources;
    {
      auto database = pool_.acquire();
      sources = toolset_sources(*database, toolset);  // Error(not_found) for an unknown tool set
    }
    std::ostringstream warnings;
    auto tools = source_tools({}, sources, pool_, warnings);
    if (!warnings.str().empty()) std::cerr << warnings.str() << std::flush;
    return {std::move(tools), tool_call_recorder(pool_, "mcp-http", caller.key_name)};
  }
  auto tools = std::make_shared<protocol::ToolSet>();
  auto config = session_config_from_headers(endpoint, request);
  if (endpoint == HttpEndpoint::inference) {
    const auto& gateway = config.tools.gateways.front();
    require_target_allowed(caller, gateway.gateway, "X-Mcp-Model-Name");
    GatewayCaller gateway_caller;
    gateway_caller.front_door = "mcp-http";
    gateway_caller.caller = caller;
    gateway_caller.user = config.user;
    add_gateway_tool(*tools, gateway, pool_, gateway_caller, {&searcher_, metrics_});
  } else {
    add_collection_tools(*tools, config.tools.collection_sets.front(), pool_, searcher_);
  }
  return {std::make_shared<protocol::ToolSetHolder>(std::move(tools)),
          tool_call_recorder(pool_, "mcp-http", caller.key_name)};
}

}  // namespace weir::mcp
