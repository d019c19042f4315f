// `weir toolset create|update|list|show|delete|history|diff|refresh`: named,
// versioned bundles of tool sources (core/tools/toolsets.hpp), served by
// `weir mcp serve --toolset NAME`.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/json_argument.hpp"
#include "cli/output.hpp"
#include "cli/tool_source_flags.hpp"
#include "cli/value_names.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/toolset_repository.hpp"
#include "core/store/toolset_revision_repository.hpp"
#include "core/tools/toolsets.hpp"

namespace weir::cli {

using json = nlohmann::json;

namespace {

// What create and update take: the sources, which of their tools, or a file of sources.
struct SourceOptions {
  std::string name;
  ToolSourceFlags flags;
  std::vector<std::string> allow, deny;
  std::string file;
};

void add_source_options(CLI::App& command, SourceOptions& options) {
  command.add_option("name", options.name, "The tool set: letters, digits, '.', '_', '-'")
      ->required()
      ->type_name(value_name::toolset);
  options.flags.add_to(command, "tools of the set", "Put the tools of this MCP server in the set");
  command.add_option("--allow", options.allow, "Only these of the sources' tools (names as offered), comma-separated")
      ->delimiter(',')
      ->type_name("TOOL,...");
  command.add_option("--deny", options.deny, "Never these of the sources' tools, comma-separated")
      ->delimiter(',')
      ->type_name("TOOL,...");
  command.add_option("-f,--file", options.file,
                     "JSON file of sources, {\"openapi\": [...], \"mcp_servers\": [...]} as in `weir mcp serve "
                     "--config` ('-' for stdin)")
      ->type_name(value_name::file);
}

ToolSources given_sources(const CLI::App& command, const SourceOptions& options) {
  ToolSources sources;
  if (!options.file.empty())
    sources = ToolSources::from_json(json_argument(options.file, "-f"), options.file == "-" ? "standard input" : options.file);
  options.flags.collect(command, sources);
  return sources;
}

ToolFilter given_filter(const SourceOptions& options) {
  ToolFilter filter;
  for (const auto& name : options.allow)
    if (!name.empty()) filter.allow.push_back(name);
  for (const auto& name : options.deny)
    if (!name.empty()) filter.deny.push_back(name);
  return filter;
}

// Runs `work` with Ctrl-C cancelling the listing of the sources.
template <typename Work>
ToolsetSaved saving(CommandContext& context, Work&& work) {
  CancelToken cancel;
  InterruptScope interrupt(cancel);
  std::error_code ignored;
  auto directory = std::filesystem::current_path(ignored).string();
  ToolsetContext toolset_context{context.database(), context.paths().home + "/logs", directory, cancel};
  return work(toolset_context);
}

std::string first_line(const std::string& text, size_t most = 72) {
  auto line = text.substr(0, text.find('\n'));
  if (line.size() > most) line = line.substr(0, most - 3) + "...";
  return line;
}

std::string tool_name(const json& tool) { return tool.value("name", std::string()); }

void print_left_out(const std::vector<std::string>& left_out, bool quiet) {
  for (const auto& reason : left_out) print_notice("not offered (" + reason + ")", quiet);
}

// The lines of a tool diff: "+ name: description", "- name", "~ name" and its changes.
void print_changes(const ToolChanges& changes) {
  for (const auto& tool : changes.added)
    std::cout << "+ " << tool_name(tool) << ": " << first_line(tool.value("description", "")) << '\n';
  for (const auto& tool : changes.removed) std::cout << "- " << tool_name(tool) << '\n';
  for (const auto& tool : changes.changed) {
    std::cout << "~ " << tool.name << '\n';
    for (const auto& change : tool.changes) std::cout << "    " << describe_change(change) << '\n';
  }
}

json names_of(const json& tools) {
  json names = json::array();
  for (const auto& tool : tools) names.push_back(tool_name(tool));
  return names;
}

json saved_json(const ToolsetSaved& saved) {
  auto object = saved.changes.to_json();
  object["toolset"] = saved.toolset.name;
  object["id"] = saved.toolset.id;
  object["revision"] = saved.revision;
  object["previous"] = saved.previous;
  object["created_revision"] = saved.created_revision;
  object["config"] = saved.config;
  object["tools"] = saved.tools;
  object["left_out"] = saved.left_out;
  return object;
}

// ", only: a,b, never: c" from a source record's `only_key` and `deny`.
std::string chosen_tools(const json& record, const char* only_key) {
  std::string text;
  for (const auto& [key, label] : {std::pair{only_key, ", only: "}, std::pair{"deny", ", never: "}}) {
    if (!record.contains(key)) continue;
    text += label;
    for (size_t index = 0; index < record[key].size(); ++index)
      text += (index ? "," : "") + record[key][index].get<std::string>();
  }
  return text;
}

// "OpenAPI document /srv/pets.yaml, called at http://...", "MCP server 'files': npx -y ...".
std::vector<std::string> source_lines(const json& config) {
  std::vector<std::string> lines;
  for (const auto& service : config.value("openapi", json::array())) {
    std::string line = "OpenAPI document " + service.value("document", "");
    if (service.contains("base_url")) line += ", called at " + service["base_url"].get<std::string>();
    lines.push_back(line + chosen_tools(service, "operations"));
  }
  for (const auto& server : config.value("mcp_servers", json::array())) {
    std::string target = server.value("url", "");
    if (target.empty()) {
      target = server.value("command", "");
      for (const auto& argument : server.value("args", json::array())) target += " " + argument.get<std::string>();
    }
    if (server.contains("prefix")) target += ", prefix " + server["prefix"].get<std::string>();
    lines.push_back("MCP server '" + server.value("name", "") + "': " + target + chosen_tools(server, "allow"));
  }
  // "limits of getBook: 60 per minute, 2 at once"
  const auto tool_limits = config.value("tool_limits", json::object());
  for (const auto& [tool, limits] : tool_limits.items()) {
    std::string line = "limits of " + tool + ":";
    const char* separator = " ";
    for (const auto& [field, label] : {std::pair{"requests_per_minute", " per minute"},
                                       std::pair{"requests_per_hour", " per hour"},
                                       std::pair{"requests_per_day", " per day"},
                                       std::pair{"concurrent_requests", " at once"}}) {
      if (!limits.contains(field)) continue;
      line += separator + std::to_string(limits[field].get<long long>()) + label;
      separator = ", ";
    }
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

void register_toolset_commands(CLI::App& app, CommandContext& context) {
  auto* group = app.add_subcommand(
      "toolset", "Tool sets: OpenAPI services and MCP servers stored under one name, with revisions of their tools");
  group->require_subcommand(1);

  {
    auto options = std::make_shared<SourceOptions>();
    auto* create = group->add_subcommand(
        "create", "Create a tool set: its sources are read and their tools kept as revision 1");
    add_source_options(*create, *options);
    create->callback([&context, options, create] {
      auto sources = given_sources(*create, *options);
      auto saved = saving(context, [&](const ToolsetContext& toolset_context) {
        return create_toolset(toolset_context, options->name, sources, given_filter(*options));
      });
      print_left_out(saved.left_out, context.options.quiet);
      if (context.options.json) {
        print_json(saved_json(saved));
        return;
      }
      std::cout << "created tool set " << saved.toolset.name << " (revision 1, " << saved.tools.size() << " tools)\n";
      for (const auto& tool : saved.tools) std::cout << "  " << tool_name(tool) << '\n';
    });
  }

  {
    auto options = std::make_shared<SourceOptions>();
    auto* update = group->add_subcommand(
        "update", "Give a tool set new sources (they replace its sources); a new revision when anything changed");
    add_source_options(*update, *options);
    update->callback([&context, options, update] {
      auto sources = given_sources(*update, *options);
      auto saved = saving(context, [&](const ToolsetContext& toolset_context) {
        return update_toolset(toolset_context, options->name, sources, given_filter(*options));
      });
      print_left_out(saved.left_out, context.options.quiet);
      if (context.options.json) {
        print_json(saved_json(saved));
        return;
      }
      if (!saved.created_revision) {
        std::cout << "tool set " << saved.toolset.name << " is unchanged (revision " << saved.revision << ")\n";
        return;
      }
      std::cout << "updated tool set " << saved.toolset.name << " (revision " << saved.revision
                << "): " << saved.changes.summary() << '\n';
      print_changes(saved.changes);
    });
  }

  group->add_subcommand("list", "List tool sets")->callback([&context] {
    auto& database = context.database();
    auto toolsets = ToolsetRepository(database).list();
    ToolsetRevisionRepository revisions(database);
    json list = json::array();
    Table table({"NAME", "REVISION", "TOOLS", "SOURCES", "UPDATED"});
    for (const auto& toolset : toolsets) {
      auto latest = revisions.latest(toolset);
      auto sources = source_lines(latest.config).size();
      list.push_back({{"id", toolset.id},
                      {"name", toolset.name},
                      {"revision", latest.revision},
                      {"tools", latest.tools.size()},
                      {"sources", sources},
                      {"created_at", format_timestamp(toolset.created_at)},
                      {"updated_at", format_timestamp(toolset.updated_at)}});
      table.add({toolset.name, std::to_string(latest.revision), std::to_string(latest.tools.size()),
                 std::to_string(sources), format_timestamp(toolset.updated_at)});
    }
    if (context.options.json) {
      print_json(list);
      return;
    }
    if (toolsets.empty()) {
      print_notice("no tool sets yet; create one with `weir toolset create NAME --openapi FILE|URL`",
                   context.options.quiet);
      return;
    }
    table.print();
  });

  {
    auto name = std::make_shared<std::string>();
    auto* show = group->add_subcommand("show", "Show a tool set's sources and the tools of its newest revision");
    show->add_option("name", *name, "The tool set")->required()->type_name(value_name::toolset);
    show->callback([&context, name] {
      auto& database = context.database();
      auto toolset = ToolsetRepository(database).get(*name);
      auto latest = ToolsetRevisionRepository(database).latest(toolset);
      if (context.options.json) {
        print_json({{"id", toolset.id},
                    {"name", toolset.name},
                    {"revision", latest.revision},
                    {"action", latest.action},
                    {"created_at", format_timestamp(toolset.created_at)},
                    {"updated_at", format_timestamp(toolset.updated_at)},
                    {"config", latest.config},
                    {"tools", latest.tools}});
        return;
      }
      std::cout << "name: " << toolset.name << "\nrevision: " << latest.revision << " (" << latest.action << ", "
                << format_timestamp(latest.created_at) << ")\nsources:\n";
      for (const auto& line : source_lines(latest.config)) std::cout << "  " << line << '\n';
      std::cout << "tools: " << latest.tools.size() << "\n\n";
      Table table({"TOOL", "SOURCE", "DESCRIPTION"});
      for (const auto& tool : latest.tools)
        table.add({tool_name(tool), tool.value("source", ""), first_line(tool.value("description", ""))});
      table.print();
    });
  }

  {
    auto name = std::make_shared<std::string>();
    auto* remove = group->add_subcommand("delete", "Delete a tool set with its revisions");
    remove->add_option("name", *name, "The tool set")->required()->type_name(value_name::toolset);
    remove->callback([&context, name] {
      ToolsetRepository(context.database()).remove(*name);
      if (context.options.json)
        print_json({{"deleted", *name}});
      else
        std::cout << "deleted tool set " << *name << '\n';
    });
  }

  {
    auto name = std::make_shared<std::string>();
    auto* history = group->add_subcommand("history", "List a tool set's revisions and what each changed");
    history->add_option("name", *name, "The tool set")->required()->type_name(value_name::toolset);
    history->callback([&context, name] {
      auto& database = context.database();
      auto toolset = ToolsetRepository(database).get(*name);
      auto revisions = ToolsetRevisionRepository(database).list(toolset.id);
      json list = json::array();
      Table table({"REVISION", "TIME", "ACTION", "TOOLS", "CHANGES"});
      json previous_tools = json::array(), previous_config = json::object();
      for (const auto& revision : revisions) {
        auto changes = diff_tools(previous_tools, revision.tools);
        bool sources_changed = revision.revision > 1 && revision.config != previous_config;
        json changed = json::array();
        for (const auto& tool : changes.changed) changed.push_back(tool.name);
        list.push_back({{"revision", revision.revision},
                        {"time", format_timestamp(revision.created_at)},
                        {"action", revision.action},
                        {"tools", revision.tools.size()},
                        {"added", names_of(changes.added)},
                        {"removed", names_of(changes.removed)},
                        {"changed", changed},
                        {"sources_changed", sources_changed}});
        std::string summary = revision.revision == 1 ? "first revision" : changes.summary();
        if (sources_changed) summary += "; sources changed";
        table.add({std::to_string(revision.revision), format_timestamp(revision.created_at), revision.action,
                   std::to_string(revision.tools.size()), summary});
        previous_tools = revision.tools;
        previous_config = revision.config;
      }
      if (context.options.json)
        print_json(list);
      else
        table.print();
    });
  }

  {
    auto name = std::make_shared<std::string>();
    auto from = std::make_shared<int64_t>(0);
    auto to = std::make_shared<int64_t>(0);
    auto* diff = group->add_subcommand(
        "diff", "Show the tools added, removed and changed between two revisions (default: the newest and the one "
                "before it)");
    diff->add_option("name", *name, "The tool set")->required()->type_name(value_name::toolset);
    diff->add_option("from", *from, "Revision to compare from (default: the one before `to`)");
    diff->add_option("to", *to, "Revision to compare to (default: the newest)");
    diff->callback([&context, name, from, to, diff] {
      auto& database = context.database();
      auto toolset = ToolsetRepository(database).get(*name);
      ToolsetRevisionRepository revisions(database);
      auto after = diff->get_option("to")->count() ? revisions.get(toolset, *to) : revisions.latest(toolset);
      // Before revision 1 there was nothing: its diff adds every tool.
      ToolsetRevision before{0, json::object(), json::array(), "", 0};
      if (diff->get_option("from")->count())
        before = revisions.get(toolset, *from);
      else if (after.revision > 1)
        before = revisions.get(toolset, after.revision - 1);
      auto changes = diff_tools(before.tools, after.tools);
      auto source_changes = before.revision == 0 ? std::vector<FieldChange>{} : diff_json(before.config, after.config);
      if (context.options.json) {
        auto object = changes.to_json();
        json sources = json::array();
        for (const auto& change : source_changes)
          sources.push_back({{"path", change.field},
                             {"change", change_kind_name(change.kind)},
                             {"old", change.before},
                             {"new", change.after}});
        object["toolset"] = toolset.name;
        object["from"] = before.revision;
        object["to"] = after.revision;
        object["sources"] = sources;
        print_json(object);
        return;
      }
      std::cout << "tool set " << toolset.name << ", revision " << before.revision << " -> " << after.revision << ": "
                << changes.summary() << '\n';
      print_changes(changes);
      if (!source_changes.empty()) {
        std::cout << "sources:\n";
        for (const auto& change : source_changes) std::cout << "    " << describe_change(change) << '\n';
      }
    });
  }

  {
    auto name = std::make_shared<std::string>();
    auto* refresh = group->add_subcommand(
        "refresh", "Read a tool set's sources again; a new revision when their tools changed, with the diff");
    refresh->add_option("name", *name, "The tool set")->required()->type_name(value_name::toolset);
    refresh->callback([&context, name] {
      auto saved = saving(context, [&](const ToolsetContext& toolset_context) {
        return refresh_toolset(toolset_context, *name);
      });
      print_left_out(saved.left_out, context.options.quiet);
      if (context.options.json) {
        print_json(saved_json(saved));
        return;
      }
      if (!saved.created_revision) {
        std::cout << "tool set " << saved.toolset.name << ": no change (revision " << saved.revision << ")\n";
        return;
      }
      std::cout << "tool set " << saved.toolset.name << ", revision " << saved.previous << " -> " << saved.revision
                << ": " << saved.changes.summary() << '\n';
      print_changes(saved.changes);
    });
  }
}

}  // namespace weir::cli
