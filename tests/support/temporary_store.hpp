// A store file in a directory of its own under the system's temporary
// directory ("weir-NAME-PID"), emptied first and removed with the object:
// for unit tests that open a Database on a real file.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace weir::testing {

struct TemporaryStore {
  std::filesystem::path directory;
  std::string path;  // DIRECTORY/weir.db
  explicit TemporaryStore(const std::string& name) {
    directory = std::filesystem::temp_directory_path() / ("weir-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    path = (directory / "weir.db").string();
  }
  ~TemporaryStore() {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
  TemporaryStore(const TemporaryStore&) = delete;
  TemporaryStore& operator=(const TemporaryStore&) = delete;
};

}  // namespace weir::testing
