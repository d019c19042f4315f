#include "core/tools/gateway_tools.hpp"

#include <memory>

#include "core/policy/outbound_signature.hpp"
#include "core/redaction.hpp"
#include "core/tools/builtin_tools_source.hpp"
#include "core/tools/function_source_fetch.hpp"

namespace weir {

void add_gateway_tools(ToolRegistry& registry, const GatewayConfig& config, const GatewayToolsInput& input) {
  if (!input.tools_allowed) return;
  const auto records = config.effective_value("functions");
  if (records.is_array() && !records.empty()) {
    std::vector<HttpFunction> functions;
    for (size_t index = 0; index < records.size(); ++index)
      functions.push_back(http_function_from_record(records[index], "functions[" + std::to_string(index) + "]",
                                                    "the gateway's functions"));
    registry.add(std::make_shared<HttpFunctionSource>("the gateway's functions", std::move(functions), input.home,
                                                      input.caller));
  }

  const auto sources = config.effective_value("function_sources");
  if (input.cancel != nullptr && sources.is_array() && !sources.empty()) {
    const auto secret = hook_key(input.home);
    for (const auto& url : sources) {
      auto functions = FunctionSourceCache::process().fetch(url.get<std::string>(), secret, *input.cancel);
      registry.add(std::make_shared<HttpFunctionSource>("function source " + redact_url(url.get<std::string>()),
                                                        std::move(functions), input.home, input.caller));
    }
  }

  const auto builtins = config.effective_value("builtin_tools");
  if (builtins.is_array() && !builtins.empty()) {
    auto names = builtins.get<std::vector<std::string>>();
    if (BuiltinToolsSource::offers_any(names)) {
      OpenUrlPolicy policy;
      policy.allow_private = config.effective_value("open_url_allow_private").get<bool>();
      registry.add(std::make_shared<BuiltinToolsSource>(std::move(names), policy));
    }
  }
}

}  // namespace weir
