// Gateway tools — the tool sources a gateway's own configuration asks for:
// its HTTP functions (`functions`, `function_sources`) and built-in tools
// (`builtin_tools`), added to a request's ToolRegistry by the pipeline's
// tools stage.
//
// Contract:
// - Each origin is its own source: the gateway's inline functions, each
//   function source, the built-ins; a name offered twice is the registry's
//   Error(usage) naming both owners.
// - Function sources are fetched (cached, function_source_fetch.hpp) only
//   when `cancel` is set; a dry run (null) reads no key and fetches nothing, and
//   lists only the inline functions. A source that fails fails the request
//   with its URL named, before the model is called.
// - Callers who may not use tools (a public key, caller_policy.hpp) get none:
//   the caller passes `tools_allowed`.
#pragma once

#include <string>

#include "core/cancellation.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/tools/http_function_source.hpp"
#include "core/tools/tool_registry.hpp"

namespace weir {

struct GatewayToolsInput {
  std::string home;  // whose hook key signs the requests
  ToolCaller caller;
  const CancelToken* cancel = nullptr;  // null: a dry run
  bool tools_allowed = true;
};

void add_gateway_tools(ToolRegistry& registry, const GatewayConfig& config, const GatewayToolsInput& input);

}  // namespace weir
