// http::Request — one parsed HTTP/1.1 request, as a handler sees it.
//
// Header names are stored lower-cased (HTTP header names are
// case-insensitive); values keep their bytes with surrounding blanks trimmed.
// `path` is the target without its query string, percent-escapes left as sent
// (weir routes only fixed ASCII paths); `query` is what followed '?'.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/policy/caller_policy.hpp"

namespace weir::http {

// Who is calling, as the server's gatekeeper established it (API keys).
using Caller = weir::Caller;

struct Request {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, in arrival order
  std::string body;
  std::string remote_address;  // the peer's IP address
  Caller caller;

  // The first header of that (lower-case) name, or nullptr.
  const std::string* header(std::string_view lower_case_name) const;
  // The first header's value, or `fallback`.
  std::string header_or(std::string_view lower_case_name, std::string_view fallback = {}) const;
};

}  // namespace weir::http
