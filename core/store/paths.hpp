// Where weir keeps its files.
//
// The home directory is `--home DIR`, else $WEIR_HOME, else
// $XDG_DATA_HOME/weir, else ~/.local/share/weir. Everything weir writes lives
// under it: the SQLite store, collection indexes, the price override file and
// the chat REPL's history. `weir paths` prints this.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace weir {

struct Paths {
  std::string home;          // the directory
  std::string database;      // home/weir.db
  std::string indexes;       // home/indexes (one HNSW file per collection)
  std::string prices;        // home/prices.json (optional user price overrides)
  std::string chat_history;  // home/chat_history (the REPL's typed lines, 0600, bounded)
  std::string home_source;   // "--home", "WEIR_HOME", "XDG_DATA_HOME" or "HOME"

  nlohmann::json to_json() const;
};

// Resolves the locations; `home_option` is the --home value (empty if none).
// Does not touch the filesystem.
Paths resolve_paths(const std::string& home_option);

// Creates the home directory (and missing parents) with mode 0700 if needed,
// as private_files.hpp says; Error(runtime) if it cannot.
void ensure_home(const Paths& paths);

}  // namespace weir
