#include "mcp/protocol/tool_set.hpp"

#include <stdexcept>

namespace weir::mcp::protocol {

void ToolSet::add(ToolDefinition definition, ToolHandler handler) {
  if (index_.count(definition.name)) throw std::invalid_argument("two tools are named '" + definition.name + "'");
  index_[definition.name] = tools_.size();
  tools_.push_back({std::move(definition), std::move(handler)});
}

bool ToolSet::wrap(const std::string& name, const std::function<ToolHandler(ToolHandler)>& wrapper) {
  auto found = index_.find(name);
  if (found == index_.end()) return false;
  auto& handler = tools_[found->second].handler;
  handler = wrapper(std::move(handler));
  return true;
}

const RegisteredTool* ToolSet::find(const std::string& name) const {
  auto found = index_.find(name);
  return found == index_.end() ? nullptr : &tools_[found->second];
}

}  // namespace weir::mcp::protocol
