// Outbox — where a session puts what it says in answer to one incoming
// message: the notifications of a call (progress, log) and the response.
//
// Contract: for every message given to Session::handle(), the session calls
// close() exactly once, after the last send() for it: right after the
// response, or with no response at all (a notification, a cancelled call).
// send() and close() may come from the call's own thread, so implementations
// must be thread-safe. The stdio transport has one outbox for everything
// (stdout); the HTTP transport has one per POST, which is how a call's
// progress and response reach that POST's own stream.
#pragma once

#include <nlohmann/json.hpp>

namespace weir::mcp::protocol {

class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(const nlohmann::json& message) = 0;
  virtual void close() {}
};

}  // namespace weir::mcp::protocol
