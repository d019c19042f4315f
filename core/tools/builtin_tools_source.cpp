#include "core/tools/builtin_tools_source.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/tools/current_time_tool.hpp"

namespace weir {

namespace {

bool answered_here(const std::string& name) { return name == "current_time" || name == "open_url"; }

}  // namespace

BuiltinToolsSource::BuiltinToolsSource(std::vector<std::string> enabled, OpenUrlPolicy open_url_policy, Clock clock)
    : open_url_policy_(std::move(open_url_policy)), clock_(std::move(clock)) {
  for (auto& name : enabled)
    if (answered_here(name)) enabled_.push_back(std::move(name));
}

bool BuiltinToolsSource::offers_any(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), answered_here);
}

nlohmann::json BuiltinToolsSource::definitions() const {
  auto tools = nlohmann::json::array();
  for (const auto& name : enabled_) tools.push_back(name == "current_time" ? current_time_definition() : open_url_definition());
  return tools;
}

ToolOutput BuiltinToolsSource::run(const ToolCall& call, const ToolCallContext& context) {
  if (std::find(enabled_.begin(), enabled_.end(), call.name) == enabled_.end())
    throw Error(ErrorKind::usage, "there is no built-in tool named '" + call.name + "' on this gateway");
  if (call.name == "current_time") return current_time_answer(call.arguments, clock_());
  return open_url_answer(call.arguments, open_url_policy_, context.cancel);
}

}  // namespace weir
