// One HTTP exchange as the streamable-HTTP transport sees it: the request it
// reads and the responder it answers through.
//
// mcp/protocol must not depend on an HTTP server (DESIGN.md "Layout"), so these
// are its own small interfaces; the front door adapts its server's request
// and response writer to them (mcp/http_endpoints.cpp). They mirror what any
// HTTP/1.1 server offers: whole responses, or a chunked stream written piece
// by piece, and a signal when the exchange is over early.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::mcp::protocol {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequestView {
  std::string_view method;          // "POST", "GET", "DELETE"...
  const HttpHeaders* headers = nullptr;  // names in lower case
  std::string_view body;
  // Who is calling (an API key's name; empty without keys). A session
  // answers only the caller that created it: to anyone else it does not exist.
  std::string owner;

  const std::string* header(std::string_view lower_case_name) const;
};

// Contract: exactly one answer, send() or begin_stream() + write()... +
// finish(); write() returns false once the client is gone. on_end() callbacks
// run once, on any thread, when the client hangs up or the server begins to
// stop: quick, thread-safe work only.
class HttpResponder {
 public:
  virtual ~HttpResponder() = default;
  virtual void send(int status, std::string_view content_type, std::string_view body,
                    const HttpHeaders& headers = {}) = 0;
  virtual void begin_stream(int status, std::string_view content_type, const HttpHeaders& headers = {}) = 0;
  virtual bool write(std::string_view piece) = 0;
  virtual void finish() = 0;
  virtual void on_end(std::function<void()> callback) = 0;
};

}  // namespace weir::mcp::protocol
