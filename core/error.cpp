#include "core/error.hpp"

namespace weir {

int exit_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::runtime: return 1;
    case ErrorKind::usage: return 2;
    case ErrorKind::too_large: return 2;
    case ErrorKind::not_found: return 3;
    case ErrorKind::upstream: return 4;
    case ErrorKind::upstream_timeout: return 4;
    case ErrorKind::authentication: return 5;
    case ErrorKind::permission: return 5;
    case ErrorKind::rate_limited: return 6;
    case ErrorKind::interrupted: return 130;
    case ErrorKind::unavailable: return 1;
  }
  return 1;
}

int http_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::runtime: return 500;
    case ErrorKind::usage: return 400;
    case ErrorKind::too_large: return 413;
    case ErrorKind::not_found: return 404;
    case ErrorKind::upstream: return 502;
    case ErrorKind::upstream_timeout: return 504;
    case ErrorKind::authentication: return 401;
    case ErrorKind::permission: return 403;
    case ErrorKind::rate_limited: return 429;
    case ErrorKind::interrupted: return 499;
    case ErrorKind::unavailable: return 503;
  }
  return 500;
}

std::string_view error_type(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage:
    case ErrorKind::too_large:
    case ErrorKind::not_found: return "invalid_request_error";
    case ErrorKind::authentication: return "authentication_error";
    case ErrorKind::permission: return "permission_error";
    case ErrorKind::rate_limited: return "rate_limit_error";
    case ErrorKind::upstream:
    case ErrorKind::upstream_timeout: return "upstream_error";
    case ErrorKind::interrupted: return "cancelled";
    case ErrorKind::runtime:
    case ErrorKind::unavailable: return "server_error";
  }
  return "server_error";
}

std::string_view default_error_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::runtime: return "internal_error";
    case ErrorKind::usage: return "invalid_request";
    case ErrorKind::too_large: return "payload_too_large";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::upstream: return "upstream_error";
    case ErrorKind::upstream_timeout: return "upstream_timeout";
    case ErrorKind::authentication: return "invalid_api_key";
    case ErrorKind::permission: return "permission_denied";
    case ErrorKind::rate_limited: return "rate_limit_exceeded";
    case ErrorKind::interrupted: return "cancelled";
    case ErrorKind::unavailable: return "server_overloaded";
  }
  return "internal_error";
}

std::string_view error_kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::runtime: return "runtime";
    case ErrorKind::usage: return "usage";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::upstream: return "upstream";
    case ErrorKind::upstream_timeout: return "upstream_timeout";
    case ErrorKind::authentication: return "authentication";
    case ErrorKind::permission: return "permission";
    case ErrorKind::rate_limited: return "rate_limited";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::interrupted: return "interrupted";
    case ErrorKind::unavailable: return "unavailable";
  }
  return "runtime";
}

}  // namespace weir
