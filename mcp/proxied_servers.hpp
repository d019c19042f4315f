// Proxied MCP servers — other MCP servers (stdio commands or streamable-HTTP
// URLs) whose tools `weir mcp serve` offers next to its own, so a client
// points at one server to reach all of its tools.
//
// Contract of serve_proxied_servers(): the holder it returns offers `fixed`
// (weir's own tools) and the servers' tools, named as below.
// - Each server is started (or reached) and listed before weir serves. A
//   server that cannot be is reported in `warnings` ("not served: ...") and
//   left out; the others are served. Its `allow` and `deny` choose its tools.
// - Names: a tool keeps the server's name for it, after the server's
//   `prefix` when one is set. Where that name is taken (by weir's own tools or
//   another server's), every tool of that name gets its server's name and
//   '_' in front instead ("everything_echo", "files_echo"). A name MCP does
//   not allow is left out with a warning (core/tools/proxied_tool_names.hpp,
//   which a tool set's stored tools are named by too).
// - A tool keeps the server's title, description, input and output schemas
//   and annotations. A call's arguments are checked against the input schema
//   before anything is sent: invalid ones are an isError result naming what
//   is wrong, and the server never sees them.
// - A call is forwarded as it is and its result comes back as the server
//   made it (content, structuredContent, isError). The server's progress
//   reaches the caller as this call's progress; the caller's cancellation
//   reaches the server as notifications/cancelled. A server found gone is
//   started again once (mcp_server_pool.hpp); one that cannot be, or that
//   went away while running the call (never sent twice), is an isError
//   result naming it, and the other servers' tools keep working.
// - The list stays current: when a server sends
//   notifications/tools/list_changed, it is listed again (on its
//   connection's thread, never the one reading its messages), the whole set
//   is rebuilt by the rules above from every server's latest list, and the
//   holder's set is replaced, which each session announces to its client
//   (session.hpp). A call in flight keeps the tool it started with; a tool
//   the server dropped is then unknown. A list that did not change changes
//   nothing; one that cannot be fetched leaves that server's tools as they
//   were, with a line on stderr, where warnings not given before go too.
//   This lasts as long as the holder; destroying it waits for a rebuild
//   under way (never for a listing, which is cancelled). With no servers the
//   holder never changes (and initialize says listChanged: false).
// - `finish` (when set) runs on every set built, the first and each rebuild,
//   after the servers' tools are in: what the caller lays on top (tool
//   limits). Its lines in `warnings` are treated as the rest.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/tools/mcp_server_settings.hpp"
#include "mcp/protocol/tool_set.hpp"
#include "mcp/protocol/tool_set_holder.hpp"

namespace weir::mcp {

using FinishToolSet = std::function<void(protocol::ToolSet& tools, std::ostream& warnings)>;

std::shared_ptr<protocol::ToolSetHolder> serve_proxied_servers(protocol::ToolSet fixed,
                                                               const std::vector<McpServerSettings>& servers,
                                                               const std::string& log_directory,
                                                               std::ostream& warnings, FinishToolSet finish = nullptr);

}  // namespace weir::mcp
