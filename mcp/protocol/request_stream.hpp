// RequestStream — the Outbox of one POSTed request over streamable HTTP: it
// hands the call's notifications and its response, as the session produces
// them on the call's thread, to the thread answering that POST.
//
// Contract: next() blocks until there is something to do: a message (in the
// order sent), `closed` once the session closed the outbox and every message
// was taken, `abandoned` once abandon() was called (the client hung up or the
// server is stopping; later messages are dropped), or `idle` when nothing
// happened for `idle_after` (time for a keep-alive). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <nlohmann/json.hpp>

#include "mcp/protocol/outbox.hpp"

namespace weir::mcp::protocol {

class RequestStream : public Outbox {
 public:
  void send(const nlohmann::json& message) override;
  void close() override;
  void abandon();

  struct Event {
    enum class Kind { message, closed, abandoned, idle } kind;
    nlohmann::json message;  // for Kind::message
  };
  Event next(std::chrono::milliseconds idle_after);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<nlohmann::json> pending_;
  bool closed_ = false;
  bool abandoned_ = false;
};

}  // namespace weir::mcp::protocol
