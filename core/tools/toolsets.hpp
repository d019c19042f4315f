// Tool sets — named, stored bundles of tool sources (tool_sources.hpp):
// OpenAPI services and MCP servers, served together by `weir mcp serve
// --toolset NAME`. Each change is a revision (store/toolset_repository.hpp)
// that keeps the sources and the tools they offered then
// (offered_tools.hpp), so a change of an upstream API shows as a diff of
// tools (tool_changes.hpp) before clients meet it.
//
// Contract:
// - Saving (create, update) checks the sources (Error(usage) naming what is
//   wrong), then lists their tools: every source must answer, else the
//   Error list_offered_tools() throws, naming it, and nothing is saved.
// - Stored sources do not depend on where weir runs later: a local OpenAPI
//   document is kept by its absolute path and a stdio MCP server without a
//   `cwd` gets the directory it was saved from (`directory`).
// - `filter` chooses tools by the names the set offers: a name it does not
//   offer is Error(usage) listing those it does. It is kept in the sources
//   (an OpenAPI service's `operations` or `deny`, an MCP server's `allow`
//   or `deny`, by each tool's name there), so the stored config says it
//   all and a tool a source adds later is offered only when no `allow` was
//   given; a source it leaves nothing of is Error(usage).
// - The sources' tool_limits (tool_limits.hpp) must name tools the set
//   offers: Error(usage) listing those it does.
// - update() replaces the sources; it and refresh() (the same sources, read
//   again) make a revision only when the sources or the tools changed.
// - `cancel` interrupts listing (Error(interrupted)).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "core/store/toolset_repository.hpp"
#include "core/tools/offered_tools.hpp"
#include "core/tools/tool_changes.hpp"
#include "core/tools/tool_sources.hpp"

namespace weir {

class Database;

struct ToolFilter {
  std::vector<std::string> allow;  // only these (empty: all)
  std::vector<std::string> deny;   // never these
  bool empty() const { return allow.empty() && deny.empty(); }
};

// Where a tool set's saving runs: the store, where started servers log, the
// directory relative paths are taken from, and the caller's cancellation.
struct ToolsetContext {
  Database& database;
  std::string log_directory;
  std::string directory;
  const CancelToken& cancel;
};

struct ToolsetSaved {
  Toolset toolset;
  int64_t revision = 0;  // the newest revision: the one made, or (nothing changed) the one before
  int64_t previous = 0;  // the revision before this save (0 for a new tool set)
  bool created_revision = false;
  nlohmann::json config;  // the stored sources
  nlohmann::json tools;   // the tools they offer
  ToolChanges changes;    // from `previous` to `revision`
  std::vector<std::string> left_out;  // tools not offered, and why
};

ToolsetSaved create_toolset(const ToolsetContext& context, const std::string& name, const ToolSources& sources,
                            const ToolFilter& filter);
ToolsetSaved update_toolset(const ToolsetContext& context, const std::string& name, const ToolSources& sources,
                            const ToolFilter& filter);
ToolsetSaved refresh_toolset(const ToolsetContext& context, const std::string& name);

// The sources of the tool set's newest revision (what `weir mcp serve
// --toolset` serves); Error(not_found) naming the tool sets there are.
ToolSources toolset_sources(Database& database, const std::string& name);

// The sources with `filter` kept in them, as above (offered: what `sources` offer).
ToolSources restrict_tools(const ToolSources& sources, const OfferedTools& offered, const ToolFilter& filter);

}  // namespace weir
