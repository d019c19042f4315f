// `weir serve` as a test peer: started on a free port in a WeirHome, stopped
// (SIGTERM) at destruction; plus a small HTTP/1.1 client on raw sockets, so
// tests control every byte (malformed requests, disconnects mid-stream) and
// see every byte back (SSE comments, chunked framing).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/weir_process.hpp"

namespace weir::testing {

class ServeProcess {
 public:
  // Runs `weir --home H serve --port 0 EXTRA...` and waits until it listens.
  // Throws std::runtime_error (with its stderr) if it exits first.
  // `command_prefix` runs before weir (e.g. {"prlimit", "--nofile=128:128"}),
  // and must exec it in the same process.
  ServeProcess(const WeirHome& home, const std::vector<std::string>& extra_arguments = {},
               const std::vector<std::string>& command_prefix = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void send_signal(int signal_number);
  // Waits for the exit; the exit code is 128 + signal when killed.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string stderr_text();
  // True once stderr holds `needle`; false if the timeout passed first.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  bool exited_ = false;
  std::thread stderr_reader_;
  std::mutex mutex_;
  std::condition_variable stderr_grew_;
  std::string stderr_;
};

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  std::string raw;                             // every byte received
  std::string header(const std::string& name) const;
};

// One request on a fresh connection ("Connection: close"), read to the end.
HttpReply http_request(int port, const std::string& method, const std::string& path, const std::string& body = {},
                       const std::vector<std::pair<std::string, std::string>>& headers = {});
// Sends raw bytes, reads the reply to the end of the connection.
HttpReply http_raw(int port, const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(60));
HttpReply parse_http_reply(const std::string& raw);
// POST /v1/chat/completions with `body`.
HttpReply post_chat(int port, const nlohmann::json& body,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
// The reply's body as JSON; a body that is not JSON fails the test, showing the reply.
nlohmann::json body_json(const HttpReply& reply);

// A connection the test drives by hand.
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  void send(const std::string& bytes);
  // Reads until `needle` has arrived (true) or the timeout or the end (false).
  bool read_until(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  const std::string& received() const { return received_; }
  void close();

 private:
  int fd_ = -1;
  std::string received_;
};

// The data payloads of an SSE body, in order ("[DONE]" included).
std::vector<std::string> sse_data(const std::string& body);

}  // namespace weir::testing
