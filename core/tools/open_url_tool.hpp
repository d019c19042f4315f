// open_url — the built-in tool that reads web pages for the model.
//
// Argument: {"urls": [1 to 5 http(s) URLs]}. Each URL is fetched with GET:
// - at most kOpenUrlMostBytes (5 MB) of its body are read (the rest is cut
//   and the answer says so);
// - redirects (301, 302, 303, 307, 308) are followed by weir itself, at most
//   5, and every hop is checked again like the first URL;
// - unless the gateway sets open_url_allow_private, a URL whose host resolves
//   to a loopback, private (RFC 1918, fc00::/7, 100.64/10), link-local,
//   unspecified or multicast address is refused. The check is on the
//   resolved addresses, and the connection is pinned to the address checked
//   (HttpRequest::pinned_addresses), so a name cannot resolve to a public
//   address for the check and a private one for the fetch;
// - HTML is turned into readable text by libxml2's HTML parser (scripts,
//   styles and the head dropped, block elements on their own lines, the
//   title first); text and JSON bodies are kept as they are; other types are
//   named but not shown.
// The answer has one block per URL: "URL: ...", status line, then the text
// or the error for that URL. When every URL failed the call fails
// (Error(usage)) with each URL's reason, so the model sees a failed call.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"

namespace weir {

constexpr size_t kOpenUrlMostBytes = size_t{5} << 20;
constexpr size_t kOpenUrlMostUrls = 5;
constexpr int kOpenUrlMostRedirects = 5;

struct OpenUrlPolicy {
  bool allow_private = false;
  int timeout_ms = 20'000;  // per URL, redirects included
};

nlohmann::json open_url_definition();

std::string open_url_answer(const std::string& arguments, const OpenUrlPolicy& policy, const CancelToken& cancel);

// Whether a numeric IPv4 or IPv6 address is loopback, private, link-local,
// unspecified or multicast (what open_url refuses by default). Text that is
// not an address is "not public" too.
bool is_non_public_address(const std::string& address);

// Readable text of an HTML document (libxml2's HTML parser).
std::string html_to_text(const std::string& html);

}  // namespace weir
