// The weir executable: builds the command tree, runs the chosen handler, and
// turns a weir::Error into a message on stderr and its documented exit code.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  using namespace weir;
  using namespace weir::cli;

  CommandContext context;
  CLI::App app{"weir — a local AI gateway: saved gateways served to chat, MCP and OpenAI clients", "weir"};
  app.set_version_flag("--version", std::string("weir ") + WEIR_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options work after the command too: `weir gateway list --json`
  app.add_option("--home", context.options.home, "Where weir keeps its data (default: $WEIR_HOME, "
                                                 "$XDG_DATA_HOME/weir, ~/.local/share/weir)");
  app.add_flag("--json", context.options.json, "Machine-readable output (one JSON document)");
  app.add_flag("-q,--quiet", context.options.quiet, "Print only results, no notices");

  register_provider_commands(app, context);
  register_gateway_commands(app, context);
  register_chat_command(app, context);
  register_logs_commands(app, context);
  register_system_commands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    print_error(std::string(error.what()) + " (see `weir --help`)");
    return exit_code(ErrorKind::usage);
  } catch (const Error& error) {
    print_error(error.what());
    return exit_code(error.kind());
  } catch (const std::exception& error) {
    print_error(std::string("internal error: ") + error.what() + " (please report this)");
    return 1;
  }
  return 0;
}
