// The receiver's side of weir's outbound signature (core/policy/outbound_signature.hpp),
// recomputed by Python's hmac module rather than by weir, for tests of
// anything weir signs (HTTP functions, function sources, hooks).
#pragma once

#include <string>

#include "tests/support/fake_upstream.hpp"

namespace weir::testing {

// "v1=<hex HMAC-SHA256(key, timestamp + '.' + body)>"; `key_hex` is the key's
// bytes in hex (what `weir hook-key show` prints).
std::string python_signature(const std::string& key_hex, const std::string& timestamp, const std::string& body);

// CHECKs that `request` carries a fresh timestamp and the signature of its
// body under `key_hex`.
void check_signed(const RecordedRequest& request, const std::string& key_hex);

}  // namespace weir::testing
