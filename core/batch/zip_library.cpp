#include "core/batch/zip_library.hpp"

#include <dlfcn.h>

#include <string>

#include "core/error.hpp"

namespace weir {

namespace {

[[noreturn]] void fail_to_load(const std::string& reason) {
  throw Error(ErrorKind::runtime, "libzip (libzip.so.4), which `weir batch add` needs to read zip archives, could "
                                  "not be loaded: " + reason + "; install the Debian package libzip4");
}

template <typename Function>
void resolve(void* library, const char* name, Function& target) {
  void* symbol = dlsym(library, name);
  if (symbol == nullptr) {
    const char* reason = dlerror();
    fail_to_load(reason != nullptr ? reason : std::string("missing symbol ") + name);
  }
  target = reinterpret_cast<Function>(symbol);
}

ZipLibrary load() {
  // Stays loaded for the life of the process, like libcurl.
  void* library = dlopen("libzip.so.4", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* reason = dlerror();
    fail_to_load(reason != nullptr ? reason : "libzip.so.4 not found");
  }
  ZipLibrary table{};
  resolve(library, "zip_open", table.open);
  resolve(library, "zip_discard", table.discard);
  resolve(library, "zip_error_init_with_code", table.error_init_with_code);
  resolve(library, "zip_error_strerror", table.error_strerror);
  resolve(library, "zip_error_fini", table.error_fini);
  resolve(library, "zip_get_num_entries", table.get_num_entries);
  resolve(library, "zip_stat_init", table.stat_init);
  resolve(library, "zip_stat_index", table.stat_index);
  resolve(library, "zip_strerror", table.strerror);
  resolve(library, "zip_compression_method_supported", table.compression_method_supported);
  resolve(library, "zip_fopen_index", table.fopen_index);
  resolve(library, "zip_fread", table.fread);
  resolve(library, "zip_file_strerror", table.file_strerror);
  resolve(library, "zip_fclose", table.fclose);
  return table;
}

}  // namespace

const ZipLibrary& zip_library() {
  // A throwing initialiser leaves the static uninitialised: the next call retries.
  static const ZipLibrary table = load();
  return table;
}

}  // namespace weir
