#include "mcp/protocol/tool_set_holder.hpp"

#include <stdexcept>

namespace weir::mcp::protocol {

ToolSetHolder::ToolSetHolder(std::shared_ptr<const ToolSet> tools, bool can_change)
    : can_change_(can_change), tools_(tools ? std::move(tools) : std::make_shared<const ToolSet>()) {}

std::shared_ptr<const ToolSet> ToolSetHolder::current() const {
  std::lock_guard lock(mutex_);
  return tools_;
}

void ToolSetHolder::replace(std::shared_ptr<const ToolSet> tools) {
  if (!can_change_) throw std::logic_error("this tool set was offered as one that never changes");
  if (!tools) tools = std::make_shared<const ToolSet>();
  {
    std::lock_guard lock(mutex_);
    tools_.swap(tools);
  }
  tools.reset();  // the old set, released outside the lock (its handlers may own much)
  watchers_.notify();
}

}  // namespace weir::mcp::protocol
