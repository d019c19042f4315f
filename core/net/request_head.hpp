// Parsing of an HTTP/1.1 request head (request line and header fields, RFC
// 9112) and of what it says about the body and the connection.
//
// Contract: parse_request_head() takes the bytes up to and excluding the blank
// line and either fills a Request (method, target, path, query, lower-cased
// headers) and a BodyFraming, or throws HeadError with the status to answer
// (400 malformed, 501 unsupported transfer coding, 505 HTTP version) and a
// message that says what was wrong. It accepts nothing it would have to guess
// about: obsolete line folding, a Content-Length that disagrees with itself,
// both Content-Length and Transfer-Encoding (a request-smuggling shape), and
// control characters in names or values are all refused, and so is an
// HTTP/1.1 request without exactly one Host header.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/net/request.hpp"

namespace weir::http {

class HeadError : public std::runtime_error {
 public:
  HeadError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

struct BodyFraming {
  bool chunked = false;
  size_t content_length = 0;   // when !chunked
  bool keep_alive = true;      // the client lets the connection serve another request
  bool expects_continue = false;  // "Expect: 100-continue"
  bool http_1_0 = false;       // HTTP/1.0 client: no chunked responses
};

BodyFraming parse_request_head(std::string_view head, Request& request);

}  // namespace weir::http
