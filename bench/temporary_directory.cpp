#include "bench/temporary_directory.hpp"

#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace weir::bench {

TemporaryDirectory::TemporaryDirectory(const std::string& label, const std::string& parent, bool keep)
    : keep_(keep) {
  auto base = parent.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(parent);
  std::string pattern = (base / ("weir-bench-" + label + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("cannot create a temporary directory in " + base.string());
  path_ = pattern;
  if (keep_) std::cerr << "weir_bench: keeping " << path_ << '\n';
}

TemporaryDirectory::~TemporaryDirectory() {
  if (keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace weir::bench
