#include "core/tools/html_library.hpp"

#include "core/dynamic_library.hpp"

namespace weir {

namespace {

HtmlLibrary load() {
  DynamicLibrary library({"libxml2", {"libxml2.so.2"}, "open_url needs to read web pages", "libxml2"});
  HtmlLibrary table{};
  library.resolve("htmlReadMemory", table.read_memory);
  library.resolve("xmlDocGetRootElement", table.root_element);
  library.resolve("xmlFreeDoc", table.free_document);
  // Stays loaded for the life of the process, like libcurl.
  library.keep_loaded();
  return table;
}

}  // namespace

const HtmlLibrary& html_library() {
  // A throwing initialiser leaves the static uninitialised: the next call retries.
  static const HtmlLibrary table = load();
  return table;
}

}  // namespace weir
