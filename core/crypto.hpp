// Crypto — the few primitives weir needs: SHA-256, HMAC-SHA256, random bytes
// from the kernel, and their text forms. One place for them, used by API
// keys (their SHA-256), AWS request signing (SigV4) and the hook signature of
// outbound requests.
//
// SHA-256 and HMAC come from OpenSSL's libcrypto, loaded at run time on first
// use (as libcurl is, see net/curl_library.hpp): commands that never hash or
// sign must not pay for loading it at start-up. Random bytes come from
// getrandom(). Every function throws Error(runtime) when it cannot do its
// job, saying what to install.
#pragma once

#include <string>
#include <string_view>

namespace weir {

std::string sha256(std::string_view data);                               // raw 32 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);    // raw 32 bytes
std::string sha256_hex(std::string_view data);                           // 64 lower-case hex digits
std::string to_hex(std::string_view bytes);                              // lower-case, two digits a byte
std::string random_bytes(size_t count);
// `bytes` random bytes encoded base64url without padding.
std::string random_token(size_t bytes);

}  // namespace weir
