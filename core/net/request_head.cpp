#include "core/net/request_head.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/ascii_case.hpp"

namespace weir::http {

namespace {

bool is_token_character(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return is_token_character(static_cast<unsigned char>(c));
  });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Is `token` one of the comma-separated items of `list` (case-insensitive)?
bool list_contains(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = trim(list.substr(0, comma));
    if (ascii_lowercase(item) == token) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

BodyFraming parse_request_head(std::string_view head, Request& request) {
  auto line_end = head.find("\r\n");
  std::string_view request_line = head.substr(0, line_end);
  std::string_view fields = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);

  auto first_space = request_line.find(' ');
  auto last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space)
    throw HeadError(400, "malformed request line: expected METHOD TARGET HTTP/1.1");
  auto method = request_line.substr(0, first_space);
  auto target = request_line.substr(first_space + 1, last_space - first_space - 1);
  auto version = request_line.substr(last_space + 1);
  if (!is_token(method)) throw HeadError(400, "malformed request line: the method is not a token");
  if (target.empty() || target.front() != '/' ||
      std::any_of(target.begin(), target.end(), [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; }))
    throw HeadError(400, "malformed request line: the target must be an absolute path such as /v1/models");
  BodyFraming framing;
  if (version == "HTTP/1.0") {
    framing.http_1_0 = true;
    framing.keep_alive = false;
  } else if (version != "HTTP/1.1") {
    throw HeadError(505, "HTTP version not supported: use HTTP/1.1");
  }

  request.method = std::string(method);
  request.target = std::string(target);
  auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  request.query = question == std::string_view::npos ? std::string() : std::string(target.substr(question + 1));

  bool has_length = false;
  bool has_transfer_encoding = false;
  int host_headers = 0;
  while (!fields.empty()) {
    auto end = fields.find("\r\n");
    auto line = fields.substr(0, end);
    fields = end == std::string_view::npos ? std::string_view{} : fields.substr(end + 2);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t')
      throw HeadError(400, "malformed header: obsolete line folding is not accepted");
    auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      throw HeadError(400, "malformed header line: expected NAME: VALUE");
    auto name = ascii_lowercase(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          auto byte = static_cast<unsigned char>(c);
          return (byte < 0x20 && byte != '\t') || byte == 0x7f;
        }))
      throw HeadError(400, "malformed header '" + name + "': control characters in its value");

    if (name == "content-length") {
      size_t length = 0;
      auto [end_of_number, problem] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (problem != std::errc() || end_of_number != value.data() + value.size() || value.empty())
        throw HeadError(400, "malformed Content-Length: '" + std::string(value) + "'");
      if (has_length && length != framing.content_length)
        throw HeadError(400, "two different Content-Length headers");
      has_length = true;
      framing.content_length = length;
    } else if (name == "transfer-encoding") {
      if (ascii_lowercase(value) != "chunked")
        throw HeadError(501, "Transfer-Encoding '" + std::string(value) + "' is not supported; send chunked or a Content-Length");
      has_transfer_encoding = true;
      framing.chunked = true;
    } else if (name == "connection") {
      if (list_contains(value, "close")) framing.keep_alive = false;
      if (list_contains(value, "keep-alive")) framing.keep_alive = true;
    } else if (name == "host") {
      ++host_headers;
    } else if (name == "expect") {
      if (ascii_lowercase(value) != "100-continue") throw HeadError(417, "Expect: only 100-continue is supported");
      framing.expects_continue = true;
    }
    request.headers.emplace_back(std::move(name), std::string(value));
  }
  if (has_length && has_transfer_encoding)
    throw HeadError(400, "both Content-Length and Transfer-Encoding were sent; send one");
  // RFC 9112 3.2: an HTTP/1.1 request carries exactly one Host. Two would let
  // the Host check (a guard against DNS rebinding) read one and a proxy another.
  if (host_headers > 1) throw HeadError(400, "more than one Host header; send exactly one");
  if (host_headers == 0 && !framing.http_1_0)
    throw HeadError(400, "missing Host header: an HTTP/1.1 request must name its host (Host: 127.0.0.1:PORT)");
  return framing;
}

}  // namespace weir::http
