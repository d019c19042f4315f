// Identifiers: UUIDv7 ids, gateway slugs, names, and wall-clock timestamps.
//
// Ids are UUIDv7 (RFC 9562): time-ordered, so sorting by id sorts by creation.
// A slug is `name:` plus the last four hex digits of the id — short enough to
// type, distinct enough to survive two gateways with similar names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weir {

std::string new_uuid_v7();
bool is_uuid(std::string_view text);
std::string make_slug(std::string_view name, std::string_view id);
// Milliseconds since the Unix epoch.
int64_t now_milliseconds();
// ISO 8601 UTC with milliseconds, e.g. 2026-11-21T21:41:55.123Z.
std::string format_timestamp(int64_t milliseconds);

// Names of gateways, providers and sessions: 1..64 characters from
// [A-Za-z0-9._-], starting with a letter or digit, so they never collide with
// slugs (':'), bare targets ('@') or paths ('/'). Throws Error(usage) naming
// `what` ("gateway name") and the offending character.
void validate_name(std::string_view name, std::string_view what);

}  // namespace weir
