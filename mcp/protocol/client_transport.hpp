// ClientTransport — how an MCP client (mcp_client.hpp) reaches one server.
//
// Two transports exist: StdioClientTransport (a child process speaking
// newline-delimited JSON-RPC on its stdin/stdout) here in mcp/protocol, and a
// streamable-HTTP one in core/tools (it needs core/net's HTTP client, and
// dependencies flow core -> mcp/protocol).
//
// Contract:
// - start() begins delivery: every JSON-RPC message the server sends goes to
//   `on_message` (from a thread of the transport, one message at a time), and
//   `on_closed` runs when the server is gone (its reason for people; more
//   than once is harmless). When the transport knows a request never reached
//   the server (a refused connection, a session the server no longer has),
//   it names that request's id (else null): a tool call that never arrived
//   may be sent again, one that did may have run.
//   Neither may block long: the client only files messages and wakes waiters.
// - send() delivers one message; it throws TransportError when the server is
//   unreachable. It may be called from several threads (the transport
//   serialises) and from inside on_message (to answer a server's ping).
// - close() stops the server or session and joins the transport's threads;
//   on_closed is not called for it. It is idempotent; the destructor closes.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace weir::mcp::protocol {

class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ClientTransport {
 public:
  using MessageHandler = std::function<void(const nlohmann::json& message)>;
  using ClosedHandler = std::function<void(const std::string& reason, const nlohmann::json& undelivered_id)>;

  virtual ~ClientTransport() = default;
  virtual void start(MessageHandler on_message, ClosedHandler on_closed) = 0;
  virtual void send(const nlohmann::json& message) = 0;
  virtual void close() = 0;
  // What the transport reaches, for messages: "command 'npx'", "http://...".
  virtual std::string describe() const = 0;
};

}  // namespace weir::mcp::protocol
