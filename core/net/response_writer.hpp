// http::ResponseWriter — how a handler answers one request.
//
// Either send() a whole response (Content-Length), or begin_stream() and then
// write() pieces as they come (chunked transfer encoding, each piece flushed
// at once) and finish(). Exactly one answer per request.
//
// Disconnects: client_gone() turns true and on_disconnect callbacks run (once,
// on a watcher thread, as soon as the peer closes its end: quick, thread-safe
// work only, such as cancelling an upstream call) whether or not anything was
// written yet. write() returns false once the client is gone.
// on_shutdown callbacks run when the server begins to stop, so long streams
// can end cleanly within the drain time.
//
// Thread-safety: write(), client_gone(), on_disconnect() and on_shutdown() may
// be called from any thread (a keep-alive timer writes comments between the
// chunks of a stream); send(), begin_stream() and finish() belong to the
// handler's thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir {
class Error;
}

namespace weir::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  virtual void send(int status, std::string_view content_type, std::string_view body,
                    const HeaderList& headers = {}) = 0;
  // An OpenAI error object {error: {message, type, code}} with the error's HTTP
  // status (and Retry-After for a rate limit that names one).
  virtual void send_error(const Error& error) = 0;

  virtual void begin_stream(int status, std::string_view content_type, const HeaderList& headers = {}) = 0;
  virtual bool write(std::string_view piece) = 0;
  virtual void finish() = 0;

  virtual bool answered() const = 0;  // send() or begin_stream() happened
  virtual bool client_gone() const = 0;
  virtual void on_disconnect(std::function<void()> callback) = 0;
  virtual void on_shutdown(std::function<void()> callback) = 0;
};

}  // namespace weir::http
