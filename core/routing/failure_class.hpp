// Failure classes — how routing reads a failed upstream attempt.
//
// A routing block says which failures are retried on the same target
// (`retry_on`) and which move on to the next one (`fall_through`) by class
// name (config_schema.hpp FailureClass). classify_failure() is the one reading
// of a weir::Error into a class: by its kind, its code and the HTTP status the
// upstream answered (Error::upstream_status). nullopt means routing must not
// act on it at all: the caller cancelled, or weir itself refused the request
// before anything was sent (the same refusal would meet every target).
#pragma once

#include <optional>

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"

namespace weir {

std::optional<FailureClass> classify_failure(const Error& error);

// Whether a failure of this class says something about the target's health
// (and counts toward opening its circuit), rather than about the request.
bool counts_against_target(FailureClass failure, int upstream_status);

}  // namespace weir
