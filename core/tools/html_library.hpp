// libxml2's HTML parser, loaded at run time.
//
// weir does not link libxml2: it brings ICU along (libicuuc, 30 MB of
// libicudata), and every process start would pay for mapping and relocating
// them, while only the open_url tool parses HTML. The first call to
// html_library() dlopen()s libxml2.so.2 once (thread-safe) and resolves the
// three functions open_url uses; later calls return the same table. A missing
// library or symbol is Error(runtime) naming the Debian package, and the next
// call tries again.
#pragma once

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

namespace weir {

struct HtmlLibrary {
  htmlDocPtr (*read_memory)(const char* buffer, int size, const char* url, const char* encoding, int options);
  xmlNodePtr (*root_element)(const xmlDoc* document);
  void (*free_document)(xmlDocPtr document);
};

const HtmlLibrary& html_library();

}  // namespace weir
