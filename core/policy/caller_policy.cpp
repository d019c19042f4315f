#include "core/policy/caller_policy.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"

namespace weir {

void require_allowed(const Caller& caller, CallerAction action) {
  if (!caller.public_key) return;
  switch (action) {
    case CallerAction::list_models:
      throw Error(ErrorKind::permission, "public keys cannot list models; they name one gateway by its full id");
    case CallerAction::search_collections:
      throw Error(ErrorKind::permission,
                  "public keys cannot search collections directly; they only reach a gateway");
    case CallerAction::use_collection_tools:
      throw Error(ErrorKind::permission,
                  "public API keys cannot use the collection tools (/v1/mcp/collections); use a private key "
                  "(weir key create NAME)");
    case CallerAction::use_batches:
      throw Error(ErrorKind::permission,
                  "public API keys cannot use the Batch API (/v1/files, /v1/batches); use a private key (weir key "
                  "create NAME)");
    case CallerAction::create_embeddings:
      throw Error(ErrorKind::permission,
                  "public API keys cannot make embeddings (/v1/embeddings); use a private key (weir key create NAME)");
    case CallerAction::read_metrics:
      throw Error(ErrorKind::permission,
                  "public API keys cannot read the server's metrics (/metrics); use a private key (weir key create NAME)");
    case CallerAction::use_tool_sets:
      throw Error(ErrorKind::permission,
                  "public API keys cannot use tool sets (/v1/mcp/toolsets); use a private key (weir key create NAME)");
  }
}

void require_toolset_allowed(const Caller& caller, const std::string& toolset) {
  require_allowed(caller, CallerAction::use_tool_sets);
  if (caller.toolsets.empty() || std::find(caller.toolsets.begin(), caller.toolsets.end(), toolset) != caller.toolsets.end())
    return;
  std::string allowed;
  for (const auto& name : caller.toolsets) allowed += (allowed.empty() ? "" : ", ") + name;
  throw Error(ErrorKind::permission, "API key '" + caller.key_name + "' may use the tool sets " + allowed +
                                         " only, not '" + toolset + "'");
}

void require_target_allowed(const Caller& caller, const std::string& target, std::string_view where) {
  if (!caller.public_key || is_uuid(target)) return;
  throw Error(ErrorKind::permission, std::string(where) +
                                         ": public API keys must name the gateway by its full id (a UUID of 36 "
                                         "characters, see `weir gateway show NAME`), not '" +
                                         target + "'");
}

bool may_use_tools(const Caller& caller) { return !caller.public_key; }

void drop_forbidden_fields(const Caller& caller, nlohmann::json& overrides) {
  if (may_use_tools(caller) || !overrides.is_object()) return;
  for (const char* field : {"tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"})
    overrides.erase(field);
}

}  // namespace weir
