// Tool call recorder — writes each call weir's MCP server answered to the
// tool call log (core/store/tool_call_log.hpp), for `weir logs --tools` and
// `weir usage --by tool`.
//
// The returned function runs on the call's thread after its answer was sent.
// A row that cannot be written (a full disk, a locked store) costs the row,
// not the call: the failure is one line on stderr.
#pragma once

#include <functional>
#include <string>

#include "mcp/protocol/tool.hpp"

namespace weir {
class DatabasePool;
}

namespace weir::mcp {

// `caller`: the API key's name; "" : the local user.
std::function<void(const protocol::FinishedCall&)> tool_call_recorder(DatabasePool& pool, std::string front_door,
                                                                      std::string caller);

}  // namespace weir::mcp
