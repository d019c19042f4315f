#include "core/batch/zip_library.hpp"

#include "core/dynamic_library.hpp"

namespace weir {

namespace {

ZipLibrary load() {
  DynamicLibrary library({"libzip", {"libzip.so.4"}, "`weir batch add` needs to read zip archives", "libzip4"});
  ZipLibrary table{};
  library.resolve("zip_open", table.open);
  library.resolve("zip_discard", table.discard);
  library.resolve("zip_error_init_with_code", table.error_init_with_code);
  library.resolve("zip_error_strerror", table.error_strerror);
  library.resolve("zip_error_fini", table.error_fini);
  library.resolve("zip_get_num_entries", table.get_num_entries);
  library.resolve("zip_stat_init", table.stat_init);
  library.resolve("zip_stat_index", table.stat_index);
  library.resolve("zip_strerror", table.strerror);
  library.resolve("zip_compression_method_supported", table.compression_method_supported);
  library.resolve("zip_fopen_index", table.fopen_index);
  library.resolve("zip_fread", table.fread);
  library.resolve("zip_file_strerror", table.file_strerror);
  library.resolve("zip_fclose", table.fclose);
  // Stays loaded for the life of the process, like libcurl.
  library.keep_loaded();
  return table;
}

}  // namespace

const ZipLibrary& zip_library() {
  // A throwing initialiser leaves the static uninitialised: the next call retries.
  static const ZipLibrary table = load();
  return table;
}

}  // namespace weir
