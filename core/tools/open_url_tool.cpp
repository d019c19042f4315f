#include "core/tools/open_url_tool.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/net/http_client.hpp"
#include "core/tools/html_library.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

struct UrlParts {
  std::string scheme;  // http | https
  std::string host;    // without brackets
  int port = 0;
};

UrlParts parse_url(const std::string& url) {
  UrlParts parts;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw Error(ErrorKind::usage, "'" + redact_url(url) + "' is not an http(s) URL");
  parts.scheme = ascii_lowercase(url.substr(0, scheme_end));
  if (parts.scheme != "http" && parts.scheme != "https")
    throw Error(ErrorKind::usage, "'" + redact_url(url) + "' is not an http or https URL");
  auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  auto authority = url.substr(authority_start, authority_end == std::string::npos ? std::string::npos
                                                                                  : authority_end - authority_start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw Error(ErrorKind::usage, "'" + redact_url(url) + "' has a broken IPv6 host");
    parts.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_text = authority.substr(close + 2);
  } else {
    auto colon = authority.find(':');
    parts.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (parts.host.empty()) throw Error(ErrorKind::usage, "'" + redact_url(url) + "' has no host");
  parts.port = parts.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit))
      throw Error(ErrorKind::usage, "'" + redact_url(url) + "' has a port that is not a number");
    parts.port = std::stoi(port_text);
  }
  return parts;
}

// The addresses `host` resolves to; Error(usage) when it does not resolve.
std::vector<std::string> resolve_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int status = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (status != 0) throw Error(ErrorKind::usage, "the host " + host + " could not be resolved: " + gai_strerror(status));
  std::vector<std::string> addresses;
  for (auto* entry = found; entry != nullptr; entry = entry->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = entry->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(entry->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(entry->ai_addr)->sin6_addr);
    if (::inet_ntop(entry->ai_family, raw, text, sizeof text) != nullptr &&
        std::find(addresses.begin(), addresses.end(), text) == addresses.end())
      addresses.emplace_back(text);
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) throw Error(ErrorKind::usage, "the host " + host + " has no address");
  return addresses;
}

bool non_public_ipv4(const unsigned char* bytes) {
  unsigned a = bytes[0], b = bytes[1], c = bytes[2];
  return a == 0 || a == 10 || a == 127 || (a == 100 && (b & 0xC0) == 64) || (a == 169 && b == 254) ||
         (a == 172 && (b & 0xF0) == 16) || (a == 192 && b == 168) || a >= 224 ||
         (a == 192 && b == 0 && c == 0) ||      // 192.0.0.0/24, IETF protocol assignments
         (a == 198 && (b & 0xFE) == 18);        // 198.18.0.0/15, benchmarking networks
}

// "https://host/a/b" + "../c" style resolution, enough for redirects:
// absolute URLs, scheme-relative, absolute paths and relative paths.
std::string resolve_location(const std::string& base, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  auto scheme_end = base.find("://");
  if (location.rfind("//", 0) == 0) return base.substr(0, scheme_end + 1) + location;
  auto path_start = base.find('/', scheme_end + 3);
  std::string origin = path_start == std::string::npos ? base : base.substr(0, path_start);
  if (!location.empty() && location.front() == '/') return origin + location;
  std::string path = path_start == std::string::npos ? "/" : base.substr(path_start);
  path = path.substr(0, path.find_first_of("?#"));
  return origin + path.substr(0, path.rfind('/') + 1) + location;
}

struct BodyFull {};

struct Fetched {
  std::string url;  // after redirects
  int status = 0;
  std::string content_type;
  std::string body;
  bool truncated = false;
};

Fetched fetch_one(const std::string& start_url, const OpenUrlPolicy& policy, const CancelToken& cancel) {
  std::string url = start_url;
  for (int hop = 0;; ++hop) {
    auto parts = parse_url(url);
    auto addresses = resolve_host(parts.host);
    if (!policy.allow_private)
      for (const auto& address : addresses)
        if (is_non_public_address(address))
          throw Error(ErrorKind::usage, "open_url refuses " + redact_url(url) + ": " + parts.host + " resolves to " +
                                            address +
                                            ", a loopback, private or link-local address (a gateway may allow "
                                            "those with open_url_allow_private: true)");
    HttpRequest request;
    request.url = url;
    request.connect_timeout_ms = std::min(policy.timeout_ms, 10'000);
    request.idle_timeout_ms = policy.timeout_ms;
    request.total_timeout_ms = policy.timeout_ms;
    request.headers = {{"Accept", "text/html, text/plain, application/json;q=0.9, */*;q=0.5"}};
    std::string host_for_pin = parts.host.find(':') != std::string::npos ? "[" + parts.host + "]" : parts.host;
    const auto& pinned = addresses.front();
    request.pinned_addresses = {host_for_pin + ":" + std::to_string(parts.port) + ":" +
                                (pinned.find(':') != std::string::npos ? "[" + pinned + "]" : pinned)};
    Fetched fetched;
    fetched.url = url;
    HttpResponseHead head;
    try {
      head = send_http_request(
          request,
          [&](const HttpResponseHead& response_head, std::string_view bytes) {
            if (response_head.status >= 300 && response_head.status < 400) return;
            fetched.status = response_head.status;
            fetched.content_type = ascii_lowercase(response_head.header("content-type").value_or(""));
            size_t room = kOpenUrlMostBytes - fetched.body.size();
            fetched.body.append(bytes.substr(0, room));
            if (bytes.size() > room) {
              fetched.truncated = true;
              throw BodyFull{};
            }
          },
          cancel);
    } catch (const BodyFull&) {
      return fetched;  // cut at kOpenUrlMostBytes; status and type were kept from the head
    }
    fetched.status = head.status;
    fetched.content_type = ascii_lowercase(head.header("content-type").value_or(""));
    if (head.status >= 300 && head.status < 400) {
      auto location = head.header("location");
      if (!location) throw Error(ErrorKind::usage, redact_url(url) + " answered " + std::to_string(head.status) + " without a Location");
      if (hop + 1 > kOpenUrlMostRedirects)
        throw Error(ErrorKind::usage, redact_url(start_url) + " redirected more than " +
                                          std::to_string(kOpenUrlMostRedirects) + " times");
      url = resolve_location(url, *location);
      continue;
    }
    return fetched;
  }
}

// --- HTML to text ----------------------------------------------------------

bool is_block(const std::string& name) {
  static const char* const kBlocks[] = {"p",  "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
                                        "h6", "tr", "table", "section", "article", "header", "footer", "pre",
                                        "blockquote", "hr", "dt", "dd", "main", "nav", "aside", "form", "figure"};
  return std::find(std::begin(kBlocks), std::end(kBlocks), name) != std::end(kBlocks);
}

void collect_text(xmlNode* node, std::string& text) {
  for (auto* child = node; child != nullptr; child = child->next) {
    if (child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) {
      const char* content = reinterpret_cast<const char*>(child->content);
      if (content == nullptr) continue;
      for (const char* cursor = content; *cursor; ++cursor) {
        char character = *cursor;
        bool space = character == ' ' || character == '\n' || character == '\t' || character == '\r';
        if (space) {
          if (!text.empty() && text.back() != ' ' && text.back() != '\n') text += ' ';
        } else {
          text += character;
        }
      }
      continue;
    }
    if (child->type != XML_ELEMENT_NODE) continue;
    std::string name = ascii_lowercase(reinterpret_cast<const char*>(child->name));
    if (name == "script" || name == "style" || name == "noscript" || name == "head" || name == "template" ||
        name == "svg")
      continue;
    bool block = is_block(name);
    if (block) {
      while (!text.empty() && text.back() == ' ') text.pop_back();
      if (!text.empty() && text.back() != '\n') text += '\n';
    }
    if (name == "li") text += "- ";
    collect_text(child->children, text);
    if (block) {
      while (!text.empty() && text.back() == ' ') text.pop_back();
      if (!text.empty() && text.back() != '\n') text += '\n';
    }
  }
}

std::string find_title(xmlNode* node) {
  for (auto* child = node; child != nullptr; child = child->next) {
    if (child->type != XML_ELEMENT_NODE) continue;
    if (ascii_lowercase(reinterpret_cast<const char*>(child->name)) == "title") {
      std::string title;
      for (auto* part = child->children; part != nullptr; part = part->next)
        if ((part->type == XML_TEXT_NODE || part->type == XML_CDATA_SECTION_NODE) && part->content != nullptr)
          title += reinterpret_cast<const char*>(part->content);
      return title;
    }
    auto inner = find_title(child->children);
    if (!inner.empty()) return inner;
  }
  return {};
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

bool looks_like_html(const Fetched& fetched) {
  if (fetched.content_type.find("html") != std::string::npos) return true;
  if (!fetched.content_type.empty()) return false;
  auto head = ascii_lowercase(fetched.body.substr(0, 512));
  return head.find("<html") != std::string::npos || head.find("<!doctype html") != std::string::npos;
}

bool is_text(const Fetched& fetched) {
  const auto& type = fetched.content_type;
  return type.empty() || type.rfind("text/", 0) == 0 || type.find("json") != std::string::npos ||
         type.find("xml") != std::string::npos || type.find("javascript") != std::string::npos;
}

}  // namespace

bool is_non_public_address(const std::string& address) {
  unsigned char bytes[16] = {};
  if (::inet_pton(AF_INET, address.c_str(), bytes) == 1) return non_public_ipv4(bytes);
  if (::inet_pton(AF_INET6, address.c_str(), bytes) != 1) return true;
  static const unsigned char kZero[16] = {};
  bool mapped_v4 = std::memcmp(bytes, kZero, 10) == 0 && bytes[10] == 0xff && bytes[11] == 0xff;
  if (mapped_v4) return non_public_ipv4(bytes + 12);
  // 64:ff9b::/96 (NAT64) reaches the IPv4 address in its last four bytes.
  static const unsigned char kNat64[12] = {0x00, 0x64, 0xff, 0x9b};
  if (std::memcmp(bytes, kNat64, 12) == 0) return non_public_ipv4(bytes + 12);
  if (bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0xC0) return true;  // fec0::/10, old site-local
  if (std::memcmp(bytes, kZero, 15) == 0 && (bytes[15] == 0 || bytes[15] == 1)) return true;  // :: and ::1
  if ((bytes[0] & 0xFE) == 0xFC) return true;                                                 // fc00::/7
  if (bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0x80) return true;                              // fe80::/10
  if (bytes[0] == 0xFF) return true;                                                           // multicast
  return false;
}

std::string html_to_text(const std::string& html) {
  const auto& library = html_library();
  htmlDocPtr document = library.read_memory(html.data(), static_cast<int>(html.size()), nullptr, nullptr,
                                       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                           HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
  if (document == nullptr) return {};
  xmlNode* root = library.root_element(document);
  std::string title = trim(find_title(root));
  std::string text;
  collect_text(root, text);
  library.free_document(document);
  // Runs of blank lines made one.
  std::string tidy;
  int newlines = 0;
  for (char character : text) {
    newlines = character == '\n' ? newlines + 1 : 0;
    if (newlines <= 2) tidy += character;
  }
  tidy = trim(tidy);
  return title.empty() ? tidy : "Title: " + title + "\n\n" + tidy;
}

nlohmann::json open_url_definition() {
  return {{"type", "function"},
          {"function",
           {{"name", "open_url"},
            {"description",
             "Read web pages: fetches up to 5 http(s) URLs and returns each page's readable text (HTML turned into "
             "text, at most 5 MB read per page)."},
            {"parameters",
             {{"type", "object"},
              {"properties",
               {{"urls",
                 {{"type", "array"},
                  {"items", {{"type", "string"}}},
                  {"minItems", 1},
                  {"maxItems", kOpenUrlMostUrls},
                  {"description", "The URLs to read (http or https)"}}}}},
              {"required", {"urls"}}}}}}};
}

std::string open_url_answer(const std::string& arguments, const OpenUrlPolicy& policy, const CancelToken& cancel) {
  auto read = read_json(arguments.empty() ? "{}" : arguments);
  const char* shape = "; send {\"urls\": [\"https://...\"]} with 1 to 5 URLs";
  if (!read.ok() || !read.value.is_object() || !read.value.contains("urls") || !read.value["urls"].is_array())
    throw Error(ErrorKind::usage, std::string("open_url needs a list of URLs") + shape);
  const auto& urls = read.value["urls"];
  if (urls.empty() || urls.size() > kOpenUrlMostUrls)
    throw Error(ErrorKind::usage, "open_url got " + std::to_string(urls.size()) + " URLs" + shape);
  std::string answer;
  std::string failures;
  size_t failed = 0;
  for (const auto& item : urls) {
    if (!item.is_string()) throw Error(ErrorKind::usage, std::string("open_url: every URL must be a string") + shape);
    const auto url = item.get<std::string>();
    if (!answer.empty()) answer += "\n\n";
    answer += "URL: " + redact_url(url) + "\n";
    try {
      auto fetched = fetch_one(url, policy, cancel);
      answer += "Status: " + std::to_string(fetched.status);
      if (fetched.url != url) answer += " (after redirects, at " + redact_url(fetched.url) + ")";
      if (fetched.truncated) answer += " (only the first 5 MB were read)";
      answer += "\n\n";
      if (looks_like_html(fetched)) answer += html_to_text(fetched.body);
      else if (is_text(fetched)) answer += fetched.body;
      else answer += "(" + fetched.content_type + " content, " + std::to_string(fetched.body.size()) + " bytes, not shown)";
      if (fetched.status >= 400) {
        ++failed;
        failures += (failures.empty() ? "" : "; ") + redact_url(url) + " answered HTTP " + std::to_string(fetched.status);
      }
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::interrupted) throw;
      ++failed;
      answer += std::string("Error: ") + redact_urls_in_text(error.what());
      failures += (failures.empty() ? "" : "; ") + redact_urls_in_text(error.what());
    }
  }
  if (failed == urls.size()) throw Error(ErrorKind::usage, "open_url could not read any URL: " + failures);
  return answer;
}

}  // namespace weir
