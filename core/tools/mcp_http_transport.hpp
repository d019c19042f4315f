// The MCP streamable-HTTP transport, client side: each JSON-RPC message is a
// POST to the server's endpoint with `Accept: application/json,
// text/event-stream`; the answer is a JSON body or an SSE stream of messages
// (202 for a notification). It lives in core (it uses core/net's HTTP client;
// mcp/protocol cannot depend on core) and implements mcp/protocol's
// ClientTransport.
//
// Contract: the `Mcp-Session-Id` the server gives on initialize is sent on
// every later request, with `MCP-Protocol-Version` once it is agreed. Each
// POST runs on its own thread, so a slow answer never blocks other calls and
// the client's own timeout and cancellation stay in charge. An HTTP error
// answer to a request becomes that request's JSON-RPC error ("HTTP 500: ...");
// a server that cannot be reached, or a 404 for our session (it ended),
// closes the transport so the pool starts a new session; it names the
// request as undelivered (client_transport.hpp) for a 404 or a connection
// never made, so the pool may send that request again. close() cancels the
// POSTs in flight, joins them and DELETEs the session. `headers` are
// "Name: value" entries sent on every request; ${NAME} in a value is read
// from the environment (Error(authentication) naming it when unset).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mcp/protocol/client_transport.hpp"

namespace weir {

// `longest_call_ms`: no POST (and the thread carrying it) outlives this,
// whatever the server does; the client's per-call timeout is shorter.
std::unique_ptr<mcp::protocol::ClientTransport> make_mcp_http_transport(const std::string& url,
                                                                        const std::vector<std::string>& headers,
                                                                        int longest_call_ms);

}  // namespace weir
