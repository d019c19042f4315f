// MessageWriter — writes whole JSON-RPC messages, one per line, to a file
// descriptor (stdout) shared by many threads.
//
// Contract: each message is serialised outside the lock, then written with its
// newline in one locked loop of write() calls, so lines from concurrent calls
// never interleave. Invalid UTF-8 in strings is replaced, never thrown. Once
// the peer has gone (EPIPE or any write error) every later write is dropped
// and write() returns false; the caller decides whether that ends the session.
#pragma once

#include <mutex>

#include <nlohmann/json.hpp>

namespace weir::mcp::protocol {

class MessageWriter {
 public:
  explicit MessageWriter(int fd) : fd_(fd) {}
  bool write(const nlohmann::json& message);

 private:
  std::mutex mutex_;
  int fd_;
  bool broken_ = false;
};

}  // namespace weir::mcp::protocol
