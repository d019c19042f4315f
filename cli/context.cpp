#include "cli/context.hpp"

namespace weir::cli {

const Paths& CommandContext::paths() {
  if (!paths_) paths_ = resolve_paths(options.home);
  return *paths_;
}

Database& CommandContext::database() {
  if (!database_) {
    ensure_home(paths());
    database_ = std::make_unique<Database>(paths().database);
  }
  return *database_;
}

UserConfig& CommandContext::config() {
  if (!config_) config_ = UserConfig::load(config_path(paths()));
  return *config_;
}

}  // namespace weir::cli
