// Caller policy — what a caller may do, decided once for every front door.
//
// A caller is the local user (the CLI, `weir mcp serve` over stdio, a
// keyless loopback `weir serve`), a private API key, or a public API key
// (DESIGN.md "HTTP"). Private keys and the local user may do everything.
// Public keys are meant to be embedded where others can read them, so they
// reach one gateway only:
// - they name it by its full id (a UUID), never by name or slug, and never a
//   bare @provider/model;
// - they cannot list models, search collections directly, use the
//   collection tools, read the server's metrics, make embeddings, use the
//   Batch API (/v1/files, /v1/batches) or reach tool sets;
// - their requests lose the fields that would reach tools (tools,
//   tool_choice, parallel_tool_calls, functions, function_call), and the
//   gateway offers them no server-side tools (query_function retrieval is
//   done as plain injection instead).
// Refusals are Error(permission) saying what to do instead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

struct Caller {
  Caller() = default;
  Caller(std::string name, bool is_public) : key_name(std::move(name)), public_key(is_public) {}

  std::string key_name;     // the API key's name; empty: the local user
  bool public_key = false;  // a public API key
  std::string key_id;       // the API key's id; empty: the local user
  // The peer's IP address over HTTP ("" otherwise): a public key's limits
  // count per address (core/engine/request_limits.hpp).
  std::string remote_address;
  nlohmann::json key_limits;  // the key's {"limits", "budget"} blocks; null: none
  std::vector<std::string> toolsets;  // the tool sets the key may use; empty: every one
};

// What a caller may be refused outside a chat request.
enum class CallerAction {
  list_models,
  search_collections,
  use_collection_tools,
  read_metrics,
  create_embeddings,
  use_batches,
  use_tool_sets,
};

void require_allowed(const Caller& caller, CallerAction action);

// `target` as the caller named it; `where` says where it was given
// ("\"model\"", "X-Mcp-Model-Name") for the error.
void require_target_allowed(const Caller& caller, const std::string& target, std::string_view where);

// A tool set at /v1/mcp/toolsets/NAME: refused (Error(permission)) to a
// public key, and to a key limited to other tool sets.
void require_toolset_allowed(const Caller& caller, const std::string& toolset);

// Whether the gateway's server-side tools and the request's own tools are offered.
bool may_use_tools(const Caller& caller);

// Removes from a request's overrides the fields this caller may not set.
void drop_forbidden_fields(const Caller& caller, nlohmann::json& overrides);

}  // namespace weir
