// OpenAPI service cache — OpenAPI services read once per process and reused
// by every request and MCP session that serves them (a gateway's tool sets,
// `/v1/mcp/toolsets/NAME`, a tool set's listing), instead of reading and
// parsing the document each time.
//
// Contract:
// - The same settings (their to_json()) give the same source while the
//   document is unchanged: the same file (device and inode) with the same
//   size, modification and change times; a URL fetched less than
//   kUrlSeconds ago. A changed file is read
//   again on the next lookup.
// - A document that cannot be read or used is the Error
//   load_openapi_service() throws (openapi_service.hpp); failures are not
//   cached, so a fixed document is used on the next lookup. Except: a URL
//   read before that cannot be fetched again keeps its last copy, asked for
//   again after another url_ttl (a service's host down for a while must not
//   make every request wait for the fetch to fail).
// - At most kMostServices are kept; the least recently used goes first.
// - Thread-safe. Two threads that miss on the same settings may both read
//   the document; either result is kept.
// - The sources it hands out are shared: OpenApiToolSource::run() keeps no
//   state, so concurrent calls are safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/tools/openapi_service.hpp"
#include "core/tools/openapi_tool_source.hpp"

namespace weir {

struct CachedOpenApiService {
  std::shared_ptr<OpenApiToolSource> source;
  std::vector<std::string> skipped;  // operations weir cannot call, and why
};

constexpr int kUrlSeconds = 300;
constexpr size_t kMostServices = 64;

CachedOpenApiService cached_openapi_service(const OpenApiServiceSettings& settings,
                                           std::chrono::seconds url_ttl = std::chrono::seconds(kUrlSeconds));

}  // namespace weir
