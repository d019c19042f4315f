// TemporaryDirectory — a fresh directory for one benchmark run (a weir home,
// a peer's data), removed with everything in it when the object goes, unless
// it is kept for a look afterwards (then its path is printed on stderr).
#pragma once

#include <string>

namespace weir::bench {

class TemporaryDirectory {
 public:
  // Creates `parent`/weir-bench-`label`-XXXXXX; throws std::runtime_error.
  explicit TemporaryDirectory(const std::string& label, const std::string& parent = {}, bool keep = false);
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool keep_;
};

}  // namespace weir::bench
