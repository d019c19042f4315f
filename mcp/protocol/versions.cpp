#include "mcp/protocol/versions.hpp"

#include <algorithm>

namespace weir::mcp::protocol {

std::string negotiate_version(std::string_view requested) {
  bool supported = std::find(kSupportedVersions.begin(), kSupportedVersions.end(), requested) != kSupportedVersions.end();
  return std::string(supported ? requested : kLatestVersion);
}

}  // namespace weir::mcp::protocol
