// `weir paths` and `weir version`
#include <sqlite3.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace weir::cli {

void register_system_commands(CLI::App& app, CommandContext& context) {
  app.add_subcommand("paths", "Print where weir keeps its data")->callback([&context] {
    const auto& paths = context.paths();
    if (context.options.json) {
      print_json(paths.to_json());
      return;
    }
    std::cout << "home: " << paths.home << "  (from " << paths.home_source << ")\n"
              << "database: " << paths.database << "\n"
              << "indexes: " << paths.indexes << "\n"
              << "prices: " << paths.prices << "\n";
  });

  app.add_subcommand("version", "Print version details")->callback([&context] {
    nlohmann::json details = {{"version", WEIR_VERSION}, {"commit", WEIR_GIT_COMMIT}, {"sqlite", sqlite3_libversion()}};
    if (context.options.json) {
      print_json(details);
      return;
    }
    std::cout << "weir " << WEIR_VERSION << " (commit " << WEIR_GIT_COMMIT << ")\nsqlite " << sqlite3_libversion()
              << '\n';
  });
}

}  // namespace weir::cli
