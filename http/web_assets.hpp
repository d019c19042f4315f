// The web chat page's files (http/web/), built into the binary by
// cmake/embed_web_assets.cmake: served as they are, never fetched.
#pragma once

#include <string_view>

namespace weir::http {

struct WebAsset {
  std::string_view name;          // the file's name in http/web/
  std::string_view content_type;
  std::string_view body;
};

// The asset of that file name, or nullptr.
const WebAsset* find_web_asset(std::string_view name);

}  // namespace weir::http
