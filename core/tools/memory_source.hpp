// Memory — the built-in memory tools (`builtin_tools: ["memory"]`): a model
// keeps notes about the end user across conversations.
//
// memory_save({text, retention_days?, shared?}), memory_search({query}),
// memory_update({id, text}) and memory_delete({id}) over the memories table
// (memory_repository.hpp), scoped to the request's user (ChatInput::user) and
// this gateway; `shared` memories are seen by every gateway the user talks
// to. Searches list the newest first, at most 20. With no user, every call
// is a failed call whose message says how to name one; a bad argument is
// Error(usage) fed back to the model. The source never decides who the user
// is: the front door does (the HTTP body's `user`, X-Mcp-User, --user).
#pragma once

#include <string>

#include "core/store/memory_repository.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

class MemorySource final : public ToolSource {
 public:
  // `database` must outlive the source; `clock` as MemoryRepository's.
  MemorySource(Database& database, std::string user, std::string gateway_id, MillisecondClock clock = {});

  std::string owner() const override { return "the built-in memory tools"; }
  nlohmann::json definitions() const override;
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;

 private:
  Database& database_;
  MemoryScope scope_;
  MillisecondClock clock_;
};

}  // namespace weir
