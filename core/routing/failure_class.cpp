#include "core/routing/failure_class.hpp"

#include "core/net/http_client.hpp"

namespace weir {

std::optional<FailureClass> classify_failure(const Error& error) {
  const bool connection = dynamic_cast<const HttpConnectionError*>(&error) != nullptr;
  const int status = error.upstream_status();
  switch (error.kind()) {
    case ErrorKind::upstream_timeout:
      return FailureClass::timeout;
    case ErrorKind::rate_limited:
      return FailureClass::rate_limit;
    case ErrorKind::authentication:
    case ErrorKind::permission:
      return FailureClass::authentication;
    case ErrorKind::upstream:
      if (connection) return FailureClass::connection;
      // No status: the answer broke off or made no sense, the service's fault.
      if (status == 0 || status >= 500) return FailureClass::server_error;
      return FailureClass::client_error;
    case ErrorKind::usage:
      if (error.code() == "context_length_exceeded") return FailureClass::context_length;
      if (error.code() == "content_filter") return FailureClass::content_filter;
      // A refusal the upstream answered is about this target's model; one of
      // ours (a malformed part) would meet every target.
      if (status != 0) return FailureClass::client_error;
      return std::nullopt;
    case ErrorKind::runtime:
    case ErrorKind::not_found:
    case ErrorKind::too_large:
    case ErrorKind::interrupted:
    case ErrorKind::unavailable:
      break;
  }
  return std::nullopt;
}

bool counts_against_target(FailureClass failure, int upstream_status) {
  switch (failure) {
    case FailureClass::context_length:
    case FailureClass::content_filter:
      return false;
    case FailureClass::client_error:
      // A 400 is usually the request's fault (one client's bad tool schema
      // must not shut a target for everyone); a 404 says the model is missing.
      return upstream_status == 404;
    default:
      return true;
  }
}

}  // namespace weir
