// `weir mcp serve`: the configured gateway and collection tools served over
// stdin/stdout until the client closes stdin.
//
// Contract: validates the configuration (Error(usage) before anything is
// read), registers the tools, then serves; returns normally at end of input,
// after every call in flight has answered. The store is opened by the first
// call that needs it, never before `initialize` is answered.
#pragma once

#include "core/store/paths.hpp"
#include "mcp/serve_config.hpp"

namespace weir::mcp {

void serve_stdio(const ServeConfig& config, const Paths& paths);

}  // namespace weir::mcp
