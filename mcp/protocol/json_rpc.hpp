// JSON-RPC 2.0 as MCP uses it: message shapes, error codes, and the error a
// method handler throws when the request itself is at fault.
//
// Contract: classify() never throws; it tells a request (method and id) from
// a notification (method, no id), a response (result or error, no method) and
// anything else, which comes back `invalid` with the reason and, when one can
// be read, the id to answer to. MCP forbids a null id on requests, so a null
// id is invalid too. The make_* helpers build the outgoing objects.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace weir::mcp::protocol {

using json = nlohmann::json;

// The codes JSON-RPC 2.0 reserves for protocol faults.
namespace error_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
}  // namespace error_code

// Thrown by a method or tool handler when the request is at fault in a way the
// protocol reports as a JSON-RPC error (rather than as a tool result).
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(int code, const std::string& message, json data = nullptr)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  int code() const noexcept { return code_; }
  const json& data() const noexcept { return data_; }

 private:
  int code_;
  json data_;
};

enum class MessageKind { request, notification, response, invalid };

struct IncomingMessage {
  MessageKind kind = MessageKind::invalid;
  json id;             // requests and responses; for invalid ones, the id if it was readable, else null
  std::string method;  // requests and notifications
  json params;         // null when absent
  std::string problem; // why an invalid message is invalid
};

IncomingMessage classify(const json& message);

// One incoming message's JSON text read by weir's input policy
// (core/json_input.hpp: depth, huge numbers, UTF-8, duplicate keys), never
// recursing on its nesting. On a problem, `value` is null and `error_code` /
// `error_message` are what to answer (with id null): -32600 Invalid Request
// for nesting over kMaxJsonDepth, -32700 Parse error for anything else.
struct MessageText {
  json value;
  int error_code = 0;  // 0: the text was acceptable
  std::string error_message;
};
MessageText read_message_text(std::string_view text);

json make_result(const json& id, json result);
json make_error(const json& id, int code, const std::string& message, const json& data = nullptr);
json make_notification(const std::string& method, json params);

}  // namespace weir::mcp::protocol
