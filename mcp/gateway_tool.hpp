// The `invoke_<name>` tool: sends `{prompt}` through a gateway with the engine
// and answers with the gateway's text.
//
// When the caller sent a progressToken, every streamed piece of the answer is
// sent as a progress notification (progress = bytes of answer so far, message =
// the new text). notifications/cancelled cancels the engine's CancelToken,
// which aborts the upstream request. Engine failures come back as isError
// results (tool_errors.hpp).
#pragma once

#include <string>

#include "core/policy/caller_policy.hpp"
#include "core/metrics/request_metrics.hpp"
#include "core/rag/shared_searcher.hpp"
#include "core/store/database_pool.hpp"
#include "mcp/protocol/tool_set.hpp"
#include "mcp/serve_config.hpp"

namespace weir::mcp {

// Who calls the tool, for the engine and the request log.
struct GatewayCaller {
  std::string front_door = "mcp";  // ChatInput::front_door
  Caller caller;                   // ChatInput::caller; its key name is logged as "api_key"
  std::string user;                // recorded in the log metadata as "user" when not empty
};

// What a server shares with its tools' calls; each must outlive the tool.
struct GatewayToolServices {
  // The server's searcher, so a gateway with collections reuses its loaded
  // indexes; null: each call opens its own.
  SharedSearcher* searcher = nullptr;
  // The server's live counters (`GET /metrics`); null: none.
  RequestMetrics* metrics = nullptr;
};

void add_gateway_tool(protocol::ToolSet& tools, const GatewayToolConfig& config, DatabasePool& pool,
                      const GatewayCaller& caller = {}, GatewayToolServices services = {});

}  // namespace weir::mcp
