// Bind policy — where `weir serve` may listen.
//
// A server on a loopback address (127.0.0.0/8, ::1, localhost) is reachable
// from this machine only and may run without API keys. Any other address can
// be reached by others, so it is refused while the store has no API key:
// Error(usage) saying to create one or bind 127.0.0.1.
//
// The store is opened (through `store`) only for a non-loopback host: a
// loopback server touches no SQLite code before its first request, which
// kept `weir serve`'s resident memory after start 1.5 MB lower (bench/serve).
#pragma once

#include <functional>
#include <string>

namespace weir {

class Database;

// Returns whether `host` is a loopback address (the server then also refuses
// requests whose Host header is not loopback).
bool require_safe_bind(const std::string& host, const std::function<Database&()>& store);

}  // namespace weir
