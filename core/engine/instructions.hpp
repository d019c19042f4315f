// Instructions — the system text a gateway sends, from all its sources.
//
// A gateway's instructions are its `system` text, then each of its
// `system_files` (read at every call, so editing the file changes the next
// answer), then each of its `system_urls` (fetched over HTTP and cached in the
// store for 600 s; at most 10 MB each), joined by blank lines. A source that
// cannot be read is an error that names it: a gateway never runs with half its
// instructions.
#pragma once

#include <string>

#include "core/gateway/gateway_config.hpp"

namespace weir {

class Database;

std::string assemble_system_text(const GatewayConfig& config, Database& database);

}  // namespace weir
