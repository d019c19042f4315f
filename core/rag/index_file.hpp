// Index file I/O — reading a file at known offsets, and replacing one so that
// a crash leaves either the old or the new bytes, never a torn file.
//
// ReadOnlyFile opens a regular file for positioned reads; read_at() is true
// only when every byte asked for was read. replace_file_atomically() writes
// the pieces to `<path>.tmp-<pid>`, fsyncs it, renames it over `path` and
// fsyncs the directory; on failure it removes its temporary file and throws
// Error(runtime) that names `what`, the step that failed and the directory to
// check. Neither interprets the bytes (index_file_layout.hpp does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weir {

class ReadOnlyFile {
 public:
  // nullopt when `path` cannot be opened or is not a regular file.
  static std::optional<ReadOnlyFile> open(const std::string& path);
  ~ReadOnlyFile();
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  uint64_t size() const { return size_; }
  // Reads exactly `size` bytes at `offset` into `destination`.
  bool read_at(void* destination, size_t size, uint64_t offset) const;

 private:
  ReadOnlyFile(int descriptor, uint64_t size) : descriptor_(descriptor), size_(size) {}
  int descriptor_;
  uint64_t size_;
};

struct FilePiece {
  const void* data;
  size_t size;
};

void replace_file_atomically(const std::string& path, const std::vector<FilePiece>& pieces, const std::string& what);

}  // namespace weir
