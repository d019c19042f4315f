// Standard base64 (RFC 4648 section 4: A-Z a-z 0-9 + /, '=' padding): data
// URLs of content parts and attachments, and embeddings sent as base64.
#pragma once

#include <string>
#include <string_view>

namespace weir {

// True when `text` is non-empty standard base64 (padding '=' at the end
// only, a length a decoder accepts).
bool is_base64(std::string_view text) noexcept;
// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);

}  // namespace weir
