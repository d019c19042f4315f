// CommandContext — what every command handler shares: the global options and
// the store, opened lazily so commands that never touch it (`--version`,
// `paths`, `completions`) pay nothing for it; the config file likewise.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/config/user_config.hpp"
#include "core/store/database.hpp"
#include "core/store/paths.hpp"

namespace weir::cli {

struct GlobalOptions {
  std::string home;
  bool json = false;
  bool quiet = false;
};

class CommandContext {
 public:
  GlobalOptions options;

  const Paths& paths();
  // Creates the home directory and opens (and migrates) the store on first use.
  Database& database();
  // The user's defaults (config_path()), read on first use; Error(usage)
  // when the file is malformed.
  UserConfig& config();

 private:
  std::optional<Paths> paths_;
  std::unique_ptr<Database> database_;
  std::optional<UserConfig> config_;
};

}  // namespace weir::cli
