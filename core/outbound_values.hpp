// Values weir writes into what it sends to a user's own services (HTTP
// functions, function sources, hooks): the moment of the call as text, and
// secrets and headers that name environment variables (${NAME}) instead of
// holding credentials in the store. Shared by core/tools and core/policy.
#pragma once

#include <chrono>
#include <string>

namespace weir {

// "2026-12-02T21:05:00Z" (seconds; UTC).
std::string rfc3339_utc(std::chrono::system_clock::time_point moment);

// `value` with every ${NAME} replaced by that environment variable;
// Error(authentication) naming `what` and the variable when it is unset or
// empty. "${...}" that is not a variable name is kept as written.
std::string resolve_environment_references(const std::string& value, const std::string& what);

}  // namespace weir
