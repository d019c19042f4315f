// HTTP functions — a gateway's tools that run on the user's own web services.
//
// Each function is {name, description, parameters (a JSON Schema), url,
// headers, timeout_ms}, written inline in the gateway's `functions` or served
// by a function source (function_source_fetch.hpp). When the model calls one:
// 1. the arguments are parsed and checked against `parameters`; arguments that
//    are not a JSON object or break the schema are Error(usage) quoting every
//    violation with its JSON pointer, and no request is made (the tool loop
//    hands the message back to the model so it can correct the call);
// 2. weir POSTs, signed (outbound_signature.hpp), with Content-Type
//    application/json:
//      {"type": "tool_call",
//       "function": {"name": NAME, "content": ARGUMENTS (the JSON object as given)},
//       "context": {"user": USER or null, "metadata": the request's metadata or null,
//                   "conversation": CONVERSATION or null, "moment": RFC 3339 UTC time}}
//    with the function's headers (`${NAME}` replaced by that environment
//    variable: unset is Error(authentication) naming function and header);
// 3. a 2xx answer's body is the tool result, verbatim (at most 10 MB);
//    anything else is Error(upstream) naming the function and the status (and
//    the first bytes of the body); a timeout (timeout_ms, whole call) is
//    Error(upstream_timeout) and a connection failure Error(upstream), both
//    naming the function. There are no retries: a call may have effects.
// Cancellation ends a call within ~50 ms with Error(interrupted). URLs in
// messages go through core/redaction.hpp. The hook key is read on the first
// call, so a dry run that never calls reads no secret.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

struct HttpFunction {
  std::string name;
  std::string description;
  nlohmann::json parameters;
  JsonSchema schema;
  std::string url;
  // As written. ${NAME} is read from weir's environment when sent, for the
  // gateway's own functions only: a source's may not name variables.
  std::vector<std::pair<std::string, std::string>> headers;
  bool from_source = false;
  int timeout_ms = 30'000;
  std::string origin;  // "the gateway's functions" or "function source URL"
};

// A record checked by check_function_record (function_fields.hpp), defaults
// filled; Error(usage) naming `path` when it breaks a rule.
HttpFunction http_function_from_record(const nlohmann::json& record, const std::string& path, std::string origin);

// Who a call is made for: sent as the body's `context`.
struct ToolCaller {
  std::string user;          // "" when unknown
  std::string conversation;  // "" when none
  nlohmann::json metadata = nullptr;
};

class HttpFunctionSource final : public ToolSource {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // `owner`: "the gateway's functions", "function source URL" (for a name
  // clash). `home`: the weir home whose hook key signs the calls.
  HttpFunctionSource(std::string owner, std::vector<HttpFunction> functions, std::string home, ToolCaller caller,
                     Clock clock = std::chrono::system_clock::now);

  std::string owner() const override { return owner_; }
  nlohmann::json definitions() const override;
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;

  // The body a call of `function` with `arguments` POSTs at `moment`.
  static nlohmann::json call_body(const std::string& function, const nlohmann::json& arguments,
                                  const ToolCaller& caller, std::chrono::system_clock::time_point moment);

 private:
  std::string owner_;
  std::vector<HttpFunction> functions_;
  std::string home_;
  ToolCaller caller_;
  Clock clock_;
  std::string secret_;  // read on the first call
};

}  // namespace weir
