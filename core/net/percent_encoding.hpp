// RFC 3986 percent-encoding: A-Z a-z 0-9 - _ . ~ kept, every other byte as
// %XX with upper-case hex; '/' kept only when asked (a path, not a segment).
// It is what SigV4 signs (core/provider/aws_signature.hpp) and what an
// OpenAPI operation's path and query parameters are sent as
// (core/tools/openapi_tool_source.hpp).
#pragma once

#include <string>
#include <string_view>

namespace weir {

std::string percent_encode(std::string_view text, bool keep_slash = false);

}  // namespace weir
