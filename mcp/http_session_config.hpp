// The tools of one MCP-over-HTTP session, from the headers of its
// `initialize` request (DESIGN.md "MCP"): the HTTP counterpart of the flags
// of `weir mcp serve`, mapped onto the same ServeConfig and checked by the
// same rules.
//
//   /v1/mcp/inference    X-Mcp-Model-Name (required: the gateway of
//                        invoke_<tool>), X-Mcp-Tool-Name, X-Mcp-Tool-Description,
//                        X-Mcp-Tool-Title
//   /v1/mcp/collections  X-Mcp-Collection-Id and/or X-Mcp-Collection-Name
//                        (comma lists; at least one collection), X-Mcp-Tool-Name,
//                        X-Mcp-Top-K (1..128), X-Mcp-Min-Score (0.01..0.99),
//                        X-Mcp-Reranker, X-Mcp-Use-References, X-Mcp-Allow-Write
//                        (true/false)
//   both                 X-Mcp-User (recorded in the request log as "user")
//
// Contract: throws Error(usage) whose message starts with the header at fault
// and says what it accepts, or which header to send when one is missing.
// Headers of the other endpoint are ignored. Nothing touches the store.
#pragma once

#include <string>

#include "mcp/protocol/http_exchange.hpp"
#include "mcp/serve_config.hpp"

namespace weir::mcp {

enum class HttpEndpoint { inference, collections, toolset };

struct HttpSessionConfig {
  ServeConfig tools;  // one gateway, or one collection set
  std::string user;
};

HttpSessionConfig session_config_from_headers(HttpEndpoint endpoint, const protocol::HttpRequestView& request);

}  // namespace weir::mcp
