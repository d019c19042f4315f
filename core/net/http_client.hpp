// A small HTTP client for talking to upstream model services.
//
// Built on libcurl (loaded at run time, see curl_library.hpp), so it speaks
// http and https and honours the usual proxy environment variables. It is made
// for streamed answers: the response body is handed to a callback slice by
// slice as bytes arrive, never buffered whole (unless you ask for
// fetch_http()).
//
// Contract:
// - The callback runs on the calling thread. When it first runs, `head`
//   already holds the final status and every response header. An exception it
//   throws aborts the transfer and is rethrown unchanged by the call.
// - `idle_timeout_ms` is the longest silence allowed between received bytes
//   (counted from the start of the call until the first byte); it is enforced
//   with millisecond resolution and ends in Error(upstream_timeout).
// - `total_timeout_ms` (when > 0) bounds the whole call, from the start until
//   the last byte, the same way: Error(upstream_timeout) naming the limit.
// - A fired CancelToken ends the call within ~50 ms with Error(interrupted).
// - A failure to reach the server, or a connection that breaks, is an
//   HttpConnectionError (a weir::Error): callers may retry those. Other
//   failures are plain weir::Errors. An HTTP error status is not a failure
//   here: it is returned in the head for the caller to interpret.
// - Each thread reuses one libcurl handle, so consecutive requests to the same
//   server share a keep-alive connection.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cancellation.hpp"
#include "core/error.hpp"

namespace weir {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int connect_timeout_ms = 10'000;
  int idle_timeout_ms = 120'000;
  // The longest the whole request may take, however steadily bytes arrive
  // (an upstream sending only SSE comments never goes idle); 0: no limit.
  int total_timeout_ms = 0;
  // "host:port:address" entries (libcurl's CURLOPT_RESOLVE): connect to these
  // addresses instead of resolving the names again, so an address a caller
  // checked is the one used (open_url's private-address rule). With pins, no
  // proxy is used: a proxy would resolve the name itself.
  std::vector<std::string> pinned_addresses = {};
};

struct HttpResponseHead {
  int status = 0;
  // Header names in lower case, in the order they arrived.
  std::vector<std::pair<std::string, std::string>> headers;
  // The first value of the header with this name (any case), if present.
  std::optional<std::string> header(std::string_view name) const;
};

// The server could not be reached, or the connection broke before the answer
// was complete. Kind upstream (or upstream_timeout for a connect timeout).
// before_request_sent(): no connection was made (the name did not resolve,
// the connection was refused), so the server cannot have acted on the
// request; false when that is not known.
class HttpConnectionError : public Error {
 public:
  using Error::Error;
  static HttpConnectionError unsent(ErrorKind kind, std::string message) {
    HttpConnectionError error(kind, std::move(message));
    error.before_request_sent_ = true;
    return error;
  }
  bool before_request_sent() const noexcept { return before_request_sent_; }

 private:
  bool before_request_sent_ = false;
};

using HttpBodyCallback = std::function<void(const HttpResponseHead& head, std::string_view bytes)>;

// Sends the request and streams the body to on_body. Returns the head.
HttpResponseHead send_http_request(const HttpRequest& request, const HttpBodyCallback& on_body,
                                   const CancelToken& cancel);

struct HttpResponse {
  HttpResponseHead head;
  std::string body;
};

// Sends the request and collects the whole body; a body larger than
// max_body_bytes is Error(upstream) rather than unbounded memory.
HttpResponse fetch_http(const HttpRequest& request, const CancelToken& cancel,
                        size_t max_body_bytes = size_t{64} << 20);

}  // namespace weir
