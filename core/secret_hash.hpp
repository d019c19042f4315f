// Secrets that weir makes and checks: random API keys and their SHA-256.
//
// SHA-256 comes from OpenSSL's libcrypto, loaded at run time on first use (as
// libcurl is, see provider/curl_library.hpp): commands that never touch a key
// must not pay for loading it at start-up. Random bytes come from the kernel
// (getrandom). Both throw Error(runtime) when they cannot do their job, saying
// what to install.
#pragma once

#include <string>
#include <string_view>

namespace weir {

// 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);
// `bytes` random bytes from the kernel, encoded base64url without padding.
std::string random_token(size_t bytes);

}  // namespace weir
