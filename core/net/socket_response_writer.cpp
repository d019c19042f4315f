#include "core/net/socket_response_writer.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdio>

#include "core/error.hpp"
#include "core/net/error_body.hpp"

namespace weir::http {

std::string_view status_reason(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
  }
}

SocketResponseWriter::SocketResponseWriter(int fd, bool keep_alive, bool chunked_allowed, bool wait_for_room)
    : fd_(fd),
      keep_alive_(keep_alive),
      chunked_allowed_(chunked_allowed),
      send_flags_(MSG_NOSIGNAL | (wait_for_room ? 0 : MSG_DONTWAIT)) {}

std::string SocketResponseWriter::head(int status, std::string_view content_type, const HeaderList& headers,
                                       bool streamed) const {
  std::string text = "HTTP/1.1 " + std::to_string(status) + ' ' + std::string(status_reason(status)) + "\r\n";
  text += "Server: weir\r\n";
  if (!content_type.empty()) {
    text += "Content-Type: ";
    text += content_type;
    text += "\r\n";
  }
  for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
  if (streamed) {
    text += "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n";
    if (chunked_allowed_) text += "Transfer-Encoding: chunked\r\n";
  }
  bool keep = keep_alive_ && (!streamed || chunked_allowed_);
  text += keep ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  return text;
}

namespace {

// Sends all of the parts or fails; EINTR is retried, anything else (EPIPE,
// ECONNRESET, the send timeout) means the client is gone.
bool send_all(int fd, iovec* parts, int count, int flags) {
  int index = 0;
  while (index < count) {
    if (parts[index].iov_len == 0) {
      ++index;
      continue;
    }
    msghdr message{};
    message.msg_iov = parts + index;
    message.msg_iovlen = static_cast<size_t>(count - index);
    auto sent = ::sendmsg(fd, &message, flags);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto remaining = static_cast<size_t>(sent);
    while (index < count && remaining >= parts[index].iov_len) {
      remaining -= parts[index].iov_len;
      ++index;
    }
    if (index < count) {
      parts[index].iov_base = static_cast<char*>(parts[index].iov_base) + remaining;
      parts[index].iov_len -= remaining;
    }
  }
  return true;
}

}  // namespace

bool SocketResponseWriter::send_pieces(std::string_view first, std::string_view second, std::string_view third) {
  iovec parts[3] = {{const_cast<char*>(first.data()), first.size()},
                    {const_cast<char*>(second.data()), second.size()},
                    {const_cast<char*>(third.data()), third.size()}};
  bool sent;
  {
    std::lock_guard lock(write_mutex_);
    if (gone_.load()) return false;
    sent = send_all(fd_, parts, 3, send_flags_);
  }
  if (!sent) mark_gone();  // outside the lock: the callbacks may write
  return sent;
}

void SocketResponseWriter::send(int status, std::string_view content_type, std::string_view body,
                                const HeaderList& headers) {
  if (answered_) return;
  answered_ = true;
  auto text = head(status, content_type, headers, false);
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  send_pieces(text, omit_body_ ? std::string_view() : body);
}

void SocketResponseWriter::send_error(const Error& error) {
  HeaderList headers;
  if (error.retry_after_seconds() > 0) headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds()));
  send(http_status(error.kind()), "application/json", error_body(error), headers);
}

void SocketResponseWriter::begin_stream(int status, std::string_view content_type, const HeaderList& headers) {
  if (answered_) return;
  answered_ = true;
  streaming_ = true;
  if (!chunked_allowed_) keep_alive_ = false;
  auto text = head(status, content_type, headers, true);
  text += "\r\n";
  send_pieces(text);
}

bool SocketResponseWriter::write(std::string_view piece) {
  if (!streaming_ || finished_) return false;
  if (piece.empty() || omit_body_) return !gone_.load();
  if (!chunked_allowed_) return send_pieces(piece);
  char size_line[24];
  int length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
  return send_pieces(std::string_view(size_line, static_cast<size_t>(length)), piece, "\r\n");
}

void SocketResponseWriter::finish() {
  if (!streaming_ || finished_) return;
  if (chunked_allowed_ && !omit_body_) send_pieces("0\r\n\r\n");
  finished_ = true;
}

void SocketResponseWriter::on_disconnect(std::function<void()> callback) {
  {
    std::lock_guard lock(callbacks_mutex_);
    if (!gone_.load()) {
      disconnect_callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

void SocketResponseWriter::on_shutdown(std::function<void()> callback) {
  {
    std::lock_guard lock(callbacks_mutex_);
    if (!shutting_down_) {
      shutdown_callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

void SocketResponseWriter::mark_gone() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(callbacks_mutex_);
    if (gone_.exchange(true)) return;
    callbacks.swap(disconnect_callbacks_);
  }
  for (auto& callback : callbacks) callback();
}

void SocketResponseWriter::shut_down() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(callbacks_mutex_);
    if (shutting_down_) return;
    shutting_down_ = true;
    callbacks.swap(shutdown_callbacks_);
  }
  for (auto& callback : callbacks) callback();
}

}  // namespace weir::http
