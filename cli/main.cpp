// The weir executable: builds the command tree, runs the chosen handler, and
// turns a weir::Error into a message on stderr and its documented exit code.
#include <algorithm>
#include <exception>
#include <iterator>
#include <string_view>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/command_words.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/value_names.hpp"
#include "core/error.hpp"
#include "core/tools/mcp_server_pool.hpp"

namespace {

using Registration = void (*)(CLI::App&, weir::cli::CommandContext&);

struct CommandGroup {
  std::string_view name;
  Registration registration;
  // Commands that describe the whole command line (completion scripts, the
  // man page) need every group registered, not just their own.
  bool needs_every_group = false;
};

constexpr CommandGroup kCommandGroups[] = {
    {"provider", weir::cli::register_provider_commands},   {"gateway", weir::cli::register_gateway_commands},
    {"chat", weir::cli::register_chat_command},            {"collection", weir::cli::register_collection_commands},
    {"doc", weir::cli::register_document_commands},        {"logs", weir::cli::register_logs_commands},
    {"mcp", weir::cli::register_mcp_commands},             {"serve", weir::cli::register_serve_command},
    {"key", weir::cli::register_key_commands},               {"budget", weir::cli::register_budget_commands},
    {"usage", weir::cli::register_usage_command},            {"cache", weir::cli::register_cache_commands},
    {"skill", weir::cli::register_skill_commands},         {"memory", weir::cli::register_memory_commands},
    {"hook-key", weir::cli::register_hook_key_commands},   {"batch", weir::cli::register_batch_commands},
    {"config", weir::cli::register_config_commands},       {"sessions", weir::cli::register_session_commands},
    {"chat-client", weir::cli::register_chat_client_commands}, {"toolset", weir::cli::register_toolset_commands},
    {"paths", weir::cli::register_system_commands},        {"version", weir::cli::register_system_commands},
    {"completions", weir::cli::register_completion_commands, true},
    {"__complete", weir::cli::register_completion_commands},
    {"__man-page", weir::cli::register_documentation_commands, true},
    {"__command-tree", weir::cli::register_documentation_commands, true},
};

// Building every command's options costs more than the rest of a short run,
// so only the group argv names is registered; help and errors about an
// unknown command still see all of them.
void register_commands(CLI::App& app, weir::cli::CommandContext& context, int argc, char** argv) {
  for (int index = 1; index < argc; ++index) {
    std::string_view word = argv[index];
    if (word == "--home") {
      ++index;  // its value
      continue;
    }
    if (word.empty() || word.front() == '-') continue;
    auto named = std::find_if(std::begin(kCommandGroups), std::end(kCommandGroups),
                              [word](const CommandGroup& group) { return group.name == word; });
    if (named != std::end(kCommandGroups) && !named->needs_every_group) {
      named->registration(app, context);
      return;
    }
    break;
  }
  // `weir --version` alone needs no command: building all of them would be
  // most of its time.
  bool version = false, help = false;
  for (int index = 1; index < argc; ++index) {
    std::string_view word = argv[index];
    version = version || word == "--version";
    help = help || word == "--help" || word == "-h" || (!word.empty() && word.front() != '-');
  }
  if (version && !help) return;
  Registration done[std::size(kCommandGroups)] = {};
  size_t count = 0;
  for (const auto& group : kCommandGroups) {
    if (std::find(done, done + count, group.registration) != done + count) continue;
    group.registration(app, context);
    done[count++] = group.registration;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace weir;
  using namespace weir::cli;
  // The MCP servers gateways started are stopped when main returns, while
  // this thread can still make requests: closing an HTTP session sends a
  // DELETE through a thread_local curl handle, which exit() has destroyed by
  // the time the pool's own static destructor would run.
  struct StopToolServers {
    ~StopToolServers() { McpServerPool::shared().clear(); }
  } stop_tool_servers;

  CommandContext context;
  CLI::App app{"weir — a local AI gateway: saved gateways served to chat, MCP and OpenAI clients", "weir"};
  app.set_version_flag("--version", std::string("weir ") + WEIR_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options work after the command too: `weir gateway list --json`
  app.add_option("--home", context.options.home, "Where weir keeps its data (default: $WEIR_HOME, "
                                                 "$XDG_DATA_HOME/weir, ~/.local/share/weir)")
      ->type_name(weir::cli::value_name::directory);
  app.add_flag("--json", context.options.json, "Machine-readable output (one JSON document)");
  app.add_flag("-q,--quiet", context.options.quiet, "Print only results, no notices");

  register_commands(app, context, argc, argv);
  give_each_option_one_value(app);

  // --json is read from argv too: a parse error comes before CLI11 sets it.
  const bool json_errors = std::any_of(argv + 1, argv + argc, [](const char* word) {
    return std::string_view(word) == "--json";
  });
  auto fail = [&](const std::string& message, ErrorKind kind, const std::string& code) {
    if (json_errors || context.options.json)
      print_error_object(message, kind, code);
    else
      print_error(message);
    return exit_code(kind);
  };
  try {
    if (auto usage = check_command_words(app, argc, argv)) {
      if (json_errors) return fail("a command is required; `weir --help` lists them", ErrorKind::usage, "");
      std::cerr << *usage;
      return exit_code(ErrorKind::usage);
    }
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    return fail(std::string(error.what()) + " (see `weir --help`)", ErrorKind::usage, "");
  } catch (const Error& error) {
    return fail(error.what(), error.kind(), error.code());
  } catch (const std::exception& error) {
    print_error(std::string("internal error: ") + error.what() + " (please report this)");
    return 1;
  }
  return 0;
}
