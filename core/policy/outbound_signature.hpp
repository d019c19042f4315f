// Outbound signature — how a receiver knows a request really came from this
// weir home, and is fresh.
//
// Every request weir sends to a user's own services (HTTP functions and
// function sources, hooks) carries two headers:
//   X-Weir-Timestamp: <unix seconds when it was sent>
//   X-Weir-Signature: v1=<lower-case hex of HMAC-SHA256(secret, timestamp + "." + body)>
// where `body` is the exact bytes of the request body ("" for a GET) and
// `secret` is the home's hook key (a hook may name its own `secret`,
// hooks.hpp): 32 random bytes kept in `HOME/hook.key` (64 hex digits, mode
// 0600), made on first use, printed by `weir hook-key
// show` (in hex: the receiver uses the 32 bytes the hex spells, not the hex
// text) and replaced by `weir hook-key rotate`.
//
// A receiver recomputes the HMAC over the timestamp header, a '.', and the raw
// body, compares it in constant time with the hex after "v1=", and refuses a
// timestamp more than kSignatureReplayWindowSeconds (300) away from its own
// clock: a captured request cannot be replayed later. "v1=" names the scheme
// so a future one can be sent beside it.
//
// Contract: hook_key() and rotate_hook_key() throw Error(runtime) naming the
// file when it cannot be read or written, and Error(runtime) when the key file
// holds anything but 64 hex digits (saying to rotate it). Signing is pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir {

constexpr long long kSignatureReplayWindowSeconds = 300;
constexpr const char* kTimestampHeader = "X-Weir-Timestamp";
constexpr const char* kSignatureHeader = "X-Weir-Signature";

// HOME/hook.key
std::string hook_key_path(const std::string& home);

// The home's 32-byte secret (raw bytes), created when missing. Safe when two
// processes create it at once: both end up with the same key.
std::string hook_key(const std::string& home);

// Replaces the key with 32 new random bytes (atomically: a reader sees the
// old key or the new one) and returns the new one.
std::string rotate_hook_key(const std::string& home);

// "v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>".
std::string outbound_signature(std::string_view secret, long long unix_seconds, std::string_view body);

// The two headers to add to a request sent at `unix_seconds`.
std::vector<std::pair<std::string, std::string>> signature_headers(std::string_view secret, long long unix_seconds,
                                                                   std::string_view body);

}  // namespace weir
