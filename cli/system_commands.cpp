// `weir paths` and `weir version`
#include <sqlite3.h>

#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/config/user_config.hpp"
#include "core/error.hpp"
#include "core/net/curl_library.hpp"

namespace weir::cli {

void register_system_commands(CLI::App& app, CommandContext& context) {
  app.add_subcommand("paths", "Print where weir keeps its data")->callback([&context] {
    const auto& paths = context.paths();
    if (context.options.json) {
      auto document = paths.to_json();
      document["config"] = config_path(paths);
      print_json(document);
      return;
    }
    std::cout << "home: " << paths.home << "  (from " << paths.home_source << ")\n"
              << "database: " << paths.database << "\n"
              << "indexes: " << paths.indexes << "\n"
              << "prices: " << paths.prices << "\n"
              << "chat history: " << paths.chat_history << "\n"
              << "config: " << config_path(paths) << "\n";
  });

  app.add_subcommand("version", "Print the version, git commit and the versions of SQLite, libcurl and hnswlib")
      ->callback([&context] {
        // libcurl is loaded only when needed (curl_library.hpp); without it
        // weir still works offline, so its absence is reported, not an error.
        std::string curl_version;
        try {
          curl_version = curl::loaded_curl_version();
        } catch (const Error&) {
          curl_version = "not found";
        }
        nlohmann::json details = {{"version", WEIR_VERSION},       {"commit", WEIR_GIT_COMMIT},
                                  {"sqlite", sqlite3_libversion()}, {"libcurl", curl_version},
                                  {"hnswlib", WEIR_HNSWLIB_VERSION}};
        if (context.options.json) {
          print_json(details);
          return;
        }
        std::cout << "weir " << WEIR_VERSION << " (commit " << WEIR_GIT_COMMIT << ")\n"
                  << "sqlite " << sqlite3_libversion() << "\n"
                  << "libcurl " << curl_version << "\n"
                  << "hnswlib " << WEIR_HNSWLIB_VERSION << '\n';
      });
}

}  // namespace weir::cli
