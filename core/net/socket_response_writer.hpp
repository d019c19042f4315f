// SocketResponseWriter — the ResponseWriter of one request on one connection
// (used by http::Server; handlers see only ResponseWriter).
//
// Every write is one sendmsg() of the whole piece (chunk framing included)
// with MSG_NOSIGNAL, under a lock, so pieces from two threads never
// interleave and a vanished client is an error return, not a SIGPIPE. The
// first failed write marks the client gone and runs the disconnect callbacks,
// exactly like a hang-up seen by the DisconnectWatcher (mark_gone()).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/response_writer.hpp"

namespace weir::http {

std::string_view status_reason(int status) noexcept;

class SocketResponseWriter final : public ResponseWriter {
 public:
  // `wait_for_room` false: a write that does not fit the socket's send buffer
  // at once fails instead of waiting (for answers from the server's event
  // loop, which must never block on one client).
  SocketResponseWriter(int fd, bool keep_alive, bool chunked_allowed, bool wait_for_room = true);

  void send(int status, std::string_view content_type, std::string_view body, const HeaderList& headers = {}) override;
  void send_error(const Error& error) override;
  void begin_stream(int status, std::string_view content_type, const HeaderList& headers = {}) override;
  bool write(std::string_view piece) override;
  void finish() override;

  bool answered() const override { return answered_; }
  bool client_gone() const override { return gone_.load(); }
  void on_disconnect(std::function<void()> callback) override;
  void on_shutdown(std::function<void()> callback) override;

  // Called by the server.
  // Answers a HEAD request: the status and headers a GET would get (its
  // Content-Length too), no body; streamed pieces are dropped.
  void omit_body() { omit_body_ = true; }
  void mark_gone();
  void shut_down();            // runs the on_shutdown callbacks (once)
  bool streaming() const { return streaming_; }
  bool finished() const { return finished_; }
  // May the connection serve another request after this one?
  bool reusable() const { return keep_alive_ && !gone_.load() && (!streaming_ || finished_); }

 private:
  std::string head(int status, std::string_view content_type, const HeaderList& headers, bool streamed) const;
  bool send_pieces(std::string_view first, std::string_view second = {}, std::string_view third = {});

  int fd_;
  bool keep_alive_;
  bool chunked_allowed_;  // HTTP/1.1; an HTTP/1.0 stream is ended by closing
  int send_flags_;
  bool omit_body_ = false;
  bool answered_ = false;
  bool streaming_ = false;
  bool finished_ = false;
  std::atomic<bool> gone_{false};
  std::mutex write_mutex_;
  std::mutex callbacks_mutex_;
  std::vector<std::function<void()>> disconnect_callbacks_;
  std::vector<std::function<void()>> shutdown_callbacks_;
  bool shutting_down_ = false;
};

}  // namespace weir::http
