// weir::Error — the one exception type core throws for anything a user can act on.
//
// Contract: every failure that reaches a front door is a weir::Error whose kind
// fixes the CLI exit code and the HTTP status, and whose message says what was
// wrong and what to do about it. Front doors translate; they never invent kinds.
// Anything else escaping core (std::bad_alloc, a bug) is an internal error.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace weir {

enum class ErrorKind {
  runtime,          // something failed on this machine (disk, store, a command)
  usage,            // the caller asked for something invalid
  not_found,        // a named gateway, provider, session, log row... does not exist
  upstream,         // the upstream model/provider failed or answered nonsense
  upstream_timeout, // the upstream did not connect or went silent
  authentication,   // missing or rejected credentials
  permission,       // credentials fine, but not allowed to do this
  rate_limited,     // rate or budget limit hit (ours or the upstream's)
  too_large,        // a body or message over the configured limit
  interrupted,      // the user (or a client) cancelled
  unavailable,      // this machine cannot take the work now (out of file descriptors, every worker busy): retry
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string code = {})
      : std::runtime_error(std::move(message)), kind_(kind), code_(std::move(code)) {}

  ErrorKind kind() const noexcept { return kind_; }
  // A stable machine-readable code for error objects ("context_length_exceeded").
  // Empty means: use the kind's default code.
  const std::string& code() const noexcept { return code_; }
  // How long a rate-limited caller should wait (HTTP Retry-After); 0: unknown.
  int retry_after_seconds() const noexcept { return retry_after_seconds_; }
  void set_retry_after_seconds(int seconds) noexcept { retry_after_seconds_ = seconds; }
  // The HTTP status of the upstream answer this error reports; 0 when the
  // error is not an upstream's answer (a connection failure, our own refusal).
  // Routing tells a 5xx from a 4xx by it.
  int upstream_status() const noexcept { return upstream_status_; }
  void set_upstream_status(int status) noexcept { upstream_status_ = status; }

 private:
  ErrorKind kind_;
  std::string code_;
  int retry_after_seconds_ = 0;
  int upstream_status_ = 0;
};

// Exit codes of DESIGN.md: 0 ok, 1 runtime, 2 usage, 3 not found, 4 upstream,
// 5 auth/permission, 6 rate or budget limit, 130 interrupted (unavailable is 1).
int exit_code(ErrorKind kind) noexcept;
int http_status(ErrorKind kind) noexcept;
// OpenAI error object "type" for this kind ("invalid_request_error", ...).
std::string_view error_type(ErrorKind kind) noexcept;
// Default "code" for this kind when the error carries none.
std::string_view default_error_code(ErrorKind kind) noexcept;
// The kind's name as machine output shows it: "authentication", "rate_limited"...
std::string_view error_kind_name(ErrorKind kind) noexcept;

}  // namespace weir
