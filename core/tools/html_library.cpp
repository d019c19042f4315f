#include "core/tools/html_library.hpp"

#include <dlfcn.h>

#include <string>

#include "core/error.hpp"

namespace weir {

namespace {

[[noreturn]] void fail_to_load(const std::string& reason) {
  throw Error(ErrorKind::runtime, "libxml2 (libxml2.so.2), which open_url needs to read web pages, could not be "
                                  "loaded: " + reason + "; install the Debian package libxml2");
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

HtmlLibrary load() {
  // Stays loaded for the life of the process, like libcurl.
  void* library = dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* reason = dlerror();
    fail_to_load(reason != nullptr ? reason : "libxml2.so.2 not found");
  }
  HtmlLibrary table{};
  resolve(library, "htmlReadMemory", table.read_memory);
  resolve(library, "xmlDocGetRootElement", table.root_element);
  resolve(library, "xmlFreeDoc", table.free_document);
  return table;
}

}  // namespace

const HtmlLibrary& html_library() {
  // A throwing initialiser leaves the static uninitialised: the next call retries.
  static const HtmlLibrary table = load();
  return table;
}

}  // namespace weir
