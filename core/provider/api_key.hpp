// Where a provider's API key comes from, resolved at the moment it is needed.
//
// Principle 6 of DESIGN.md: keys are referenced, not copied. A provider names
// an environment variable (api_key_env) or a shell command that prints the key
// (api_key_cmd); this turns that reference into the key.
//
// Contract:
// - api_key_env: the variable's value; unset or empty is Error(authentication)
//   saying how to fix it. Callers resolve before sending anything, so a
//   missing key never costs a request.
// - api_key_cmd: run with /bin/sh -c (stdin /dev/null, stderr passed through),
//   output with trailing whitespace trimmed. Each distinct command runs at most
//   once per process, even from several threads; a failure is not cached, so
//   a fixed command works on the next call. Non-zero exit or empty output is
//   Error(authentication).
// - Neither set: std::nullopt (the service needs no key).
// - The key never appears in an error message or a log.
//
// Configured headers follow the same principle: a header value may reference
// an environment variable as ${NAME} (`Authorization: Bearer ${SVC_TOKEN}`),
// replaced when the request is built; the stored value, and everything that
// prints it, holds only the reference.
#pragma once

#include <optional>
#include <string>

#include "core/provider/provider.hpp"

namespace weir {

std::optional<std::string> resolve_api_key(const ProviderConfig& config);

// How the key is shown where it must not be revealed ("$OPENAI_API_KEY",
// "$(pass show openai)"); empty when the provider has no key.
std::string api_key_placeholder(const ProviderConfig& config);

// The header's configured value with every ${NAME} replaced by that variable's
// value. An unset or empty variable is Error(authentication) naming the
// provider, the header and the variable (never a value). A `$` not followed by
// `{NAME}` is kept as it is.
std::string resolve_header_value(const ProviderConfig& config, const std::string& header, const std::string& value);

}  // namespace weir
