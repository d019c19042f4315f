#include "core/tools/toolsets.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.hpp"
#include "core/store/toolset_revision_repository.hpp"

namespace weir {

using json = nlohmann::json;

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

ToolSources anchored(ToolSources sources, const std::string& directory) {
  for (auto& service : sources.openapi_services)
    if (!service.document.empty() && !is_http_url(service.document))
      service.document = (std::filesystem::path(directory) / service.document).lexically_normal().string();
  for (auto& server : sources.mcp_servers)
    if (!server.command.empty() && server.working_directory.empty()) server.working_directory = directory;
  return sources;
}

std::string listed_names(const OfferedTools& offered) {
  std::string text;
  size_t shown = 0;
  for (const auto& tool : offered.tools) {
    if (shown++ == 40) return text + ", ...";
    text += (text.empty() ? "" : ", ") + tool.record["name"].get<std::string>();
  }
  return text.empty() ? "none" : text;
}

// The checked, anchored sources with the filter kept in them, and their tools.
std::pair<ToolSources, OfferedTools> resolve(const ToolsetContext& context, const ToolSources& given,
                                             const ToolFilter& filter) {
  if (given.empty())
    throw Error(ErrorKind::usage, "a tool set needs at least one source: --openapi FILE|URL, --mcp-server "
                                  "NAME=COMMAND|URL or -f FILE.json");
  given.validate();
  auto sources = anchored(given, context.directory);
  auto offered = list_offered_tools(sources, context.log_directory, context.cancel);
  if (!filter.empty()) {
    sources = restrict_tools(sources, offered, filter);
    offered = list_offered_tools(sources, context.log_directory, context.cancel);
  }
  for (const auto& [name, limits] : sources.tool_limits.items()) {
    bool offers = std::any_of(offered.tools.begin(), offered.tools.end(),
                              [&](const OfferedTool& tool) { return tool.record["name"] == name; });
    if (!offers)
      throw Error(ErrorKind::usage, "tool_limits names '" + name + "', which the set does not offer; it offers: " +
                                        listed_names(offered));
  }
  return {sources, offered};
}

ToolsetSaved save_revision(const ToolsetContext& context, Toolset toolset, const ToolSources& sources,
                           const OfferedTools& offered, const char* action) {
  ToolsetRevisionRepository revisions(context.database);
  auto latest = revisions.latest(toolset);
  ToolsetSaved saved;
  saved.config = sources.to_json();
  saved.tools = offered.records();
  saved.left_out = offered.left_out;
  saved.previous = latest.revision;
  saved.revision = latest.revision;
  saved.changes = diff_tools(latest.tools, saved.tools);
  if (latest.config != saved.config || latest.tools != saved.tools) {
    saved.revision = ToolsetRepository(context.database).add_revision(toolset, saved.config, saved.tools, action);
    saved.created_revision = true;
  }
  saved.toolset = std::move(toolset);
  return saved;
}

}  // namespace

ToolSources restrict_tools(const ToolSources& sources, const OfferedTools& offered, const ToolFilter& filter) {
  if (filter.empty()) return sources;
  std::set<std::string> names;
  for (const auto& tool : offered.tools) names.insert(tool.record["name"].get<std::string>());
  for (const auto* list : {&filter.allow, &filter.deny})
    for (const auto& name : *list)
      if (!names.count(name))
        throw Error(ErrorKind::usage, std::string(list == &filter.allow ? "--allow" : "--deny") + " names '" + name +
                                          "', which none of the sources offers; they offer: " + listed_names(offered));
  ToolSources restricted = sources;
  for (size_t index = 0; index < sources.size(); ++index) {
    std::vector<std::string> kept, dropped;  // by their names at the source
    std::string owner;
    for (const auto& tool : offered.tools) {
      if (tool.source != index) continue;
      auto name = tool.record["name"].get<std::string>();
      owner = tool.record.value("source", "");
      bool keep = (filter.allow.empty() || contains(filter.allow, name)) && !contains(filter.deny, name);
      (keep ? kept : dropped).push_back(tool.source_name);
    }
    // --allow is kept even where it drops nothing yet: a tool the source adds later is not allowed.
    if (dropped.empty() && (filter.allow.empty() || kept.empty())) continue;
    if (kept.empty())
      throw Error(ErrorKind::usage, "--allow and --deny leave no tool of " + owner +
                                        "; keep one of its tools, or leave the source out");
    if (index < sources.openapi_services.size()) {
      auto& service = restricted.openapi_services[index];
      if (!filter.allow.empty())
        service.operations = kept;
      else
        service.deny.insert(service.deny.end(), dropped.begin(), dropped.end());
    } else {
      auto& server = restricted.mcp_servers[index - sources.openapi_services.size()];
      if (!filter.allow.empty())
        server.allow = kept;
      else
        server.deny.insert(server.deny.end(), dropped.begin(), dropped.end());
    }
  }
  return restricted;
}

ToolsetSaved create_toolset(const ToolsetContext& context, const std::string& name, const ToolSources& sources,
                            const ToolFilter& filter) {
  ToolsetRepository toolsets(context.database);
  toolsets.check_new_name(name);  // before any server is started
  auto [stored, offered] = resolve(context, sources, filter);
  ToolsetSaved saved;
  saved.config = stored.to_json();
  saved.tools = offered.records();
  saved.left_out = offered.left_out;
  saved.toolset = toolsets.create(name, saved.config, saved.tools);
  saved.revision = 1;
  saved.created_revision = true;
  saved.changes = diff_tools(json::array(), saved.tools);
  return saved;
}

ToolsetSaved update_toolset(const ToolsetContext& context, const std::string& name, const ToolSources& sources,
                            const ToolFilter& filter) {
  auto toolset = ToolsetRepository(context.database).get(name);
  auto [stored, offered] = resolve(context, sources, filter);
  return save_revision(context, std::move(toolset), stored, offered, "update");
}

ToolsetSaved refresh_toolset(const ToolsetContext& context, const std::string& name) {
  auto toolset = ToolsetRepository(context.database).get(name);
  auto latest = ToolsetRevisionRepository(context.database).latest(toolset);
  auto sources = ToolSources::from_json(latest.config, "tool set " + name);
  auto offered = list_offered_tools(sources, context.log_directory, context.cancel);
  return save_revision(context, std::move(toolset), sources, offered, "refresh");
}

ToolSources toolset_sources(Database& database, const std::string& name) {
  auto toolset = ToolsetRepository(database).get(name);
  auto latest = ToolsetRevisionRepository(database).latest(toolset);
  return ToolSources::from_json(latest.config, "tool set " + name);
}

}  // namespace weir
