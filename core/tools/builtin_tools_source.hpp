// Built-in tools — tools weir answers itself, offered when a gateway lists
// them in `builtin_tools`: current_time (current_time_tool.hpp) and open_url
// (open_url_tool.hpp). `memory` is offered by its own source (the skills and
// memory work); this source ignores it.
//
// Contract: definitions() lists the enabled tools in the order the gateway
// names them; run() answers one call or throws Error(usage) for arguments the
// model must fix (fed back to it by the tool loop).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/tools/open_url_tool.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

class BuiltinToolsSource final : public ToolSource {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  BuiltinToolsSource(std::vector<std::string> enabled, OpenUrlPolicy open_url_policy,
                     Clock clock = std::chrono::system_clock::now);

  std::string owner() const override { return "weir's built-in tools"; }
  nlohmann::json definitions() const override;
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;

  // Whether any of `names` is a tool this source answers.
  static bool offers_any(const std::vector<std::string>& names);

 private:
  std::vector<std::string> enabled_;
  OpenUrlPolicy open_url_policy_;
  Clock clock_;
};

}  // namespace weir
