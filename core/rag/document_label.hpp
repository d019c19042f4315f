// How a document is named to people: in citations of answers and in search
// results, "collection/docid". A file added by `collection add` has its
// canonical path as docid ("/home/me/docs/a.md#0"); it reads
// "collection:/home/me/docs/a.md#0", never "collection//home/...".
#pragma once

#include <string>
#include <string_view>

namespace weir {

inline std::string document_label(std::string_view collection, std::string_view docid) {
  std::string label(collection);
  label += !docid.empty() && docid.front() == '/' ? ':' : '/';
  label += docid;
  return label;
}

}  // namespace weir
