// The `invoke_<name>` tool: sends `{prompt}` through a gateway with the engine
// and answers with the gateway's text.
//
// When the caller sent a progressToken, every streamed piece of the answer is
// sent as a progress notification (progress = bytes of answer so far, message =
// the new text). notifications/cancelled cancels the engine's CancelToken,
// which aborts the upstream request. Engine failures come back as isError
// results (tool_errors.hpp).
#pragma once

#include "core/store/database_pool.hpp"
#include "mcp/protocol/server.hpp"
#include "mcp/serve_config.hpp"

namespace weir::mcp {

void add_gateway_tool(protocol::Server& server, const GatewayToolConfig& config, DatabasePool& pool);

}  // namespace weir::mcp
