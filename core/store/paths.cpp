#include "core/store/paths.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"
#include "core/store/private_files.hpp"

namespace weir {

namespace {
std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}
}  // namespace

nlohmann::json Paths::to_json() const {
  return {{"home", home},       {"home_source", home_source}, {"database", database},
          {"indexes", indexes}, {"prices", prices}, {"chat_history", chat_history}};
}

Paths resolve_paths(const std::string& home_option) {
  Paths paths;
  if (!home_option.empty()) {
    paths.home = home_option;
    paths.home_source = "--home";
  } else if (auto weir_home = environment("WEIR_HOME"); !weir_home.empty()) {
    paths.home = weir_home;
    paths.home_source = "WEIR_HOME";
  } else if (auto xdg = environment("XDG_DATA_HOME"); !xdg.empty()) {
    paths.home = xdg + "/weir";
    paths.home_source = "XDG_DATA_HOME";
  } else {
    auto user_home = environment("HOME");
    if (user_home.empty())
      throw Error(ErrorKind::usage, "cannot tell where to keep weir's data: HOME is not set; "
                                    "pass --home DIR or set WEIR_HOME");
    paths.home = user_home + "/.local/share/weir";
    paths.home_source = "HOME";
  }
  while (paths.home.size() > 1 && paths.home.back() == '/') paths.home.pop_back();
  paths.database = paths.home + "/weir.db";
  paths.indexes = paths.home + "/indexes";
  paths.prices = paths.home + "/prices.json";
  paths.chat_history = paths.home + "/chat_history";
  return paths;
}

void ensure_home(const Paths& paths) {
  if (auto error = create_private_directories(paths.home))
    throw Error(ErrorKind::runtime, "cannot create weir's home directory " + paths.home + ": " +
                                        error.message() + "; pass --home DIR to use another place");
}

}  // namespace weir
