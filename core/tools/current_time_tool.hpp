// current_time — the built-in tool that tells the model what time it is.
//
// Argument: {"time_zone": IANA name} (optional, default "UTC"). Answer, as
// JSON text: {"time": "2026-12-02T22:05:00+01:00", "weekday": "Wednesday",
// "time_zone": "Europe/Paris", "abbreviation": "CET", "utc_offset": "+01:00"}.
// A zone the system's tz database (/usr/share/zoneinfo) does not have is
// Error(usage) naming it, so the model can correct the call.
//
// g++ 12's libstdc++ has no std::chrono::zoned_time, and setting TZ for
// localtime_r would race the other threads of a server reading the
// environment, so the offset is read from the zone's TZif file (RFC 8536):
// the transition in force at that moment. Past the file's last transition
// (Debian's files list them to 2037) its last offset holds.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace weir {

// The tool's definition ({"type": "function", "function": {...}}).
nlohmann::json current_time_definition();

// The answer for `arguments` (the call's JSON text) at `now`.
std::string current_time_answer(const std::string& arguments, std::chrono::system_clock::time_point now);

}  // namespace weir
