// UTF-8 helpers for text weir shortens before showing or forwarding it.
//
// utf8_prefix(text, most_bytes): the longest prefix of `text` of at most
// `most_bytes` bytes that does not end inside a character, so valid UTF-8
// stays valid (a JSON encoder refuses a cut character).
// valid_utf8(text): whether `text` is well-formed UTF-8 (by lead and
// continuation bytes), so it can be stored and sent as JSON text.
#pragma once

#include <string_view>

namespace weir {

inline std::string_view utf8_prefix(std::string_view text, size_t most_bytes) {
  if (text.size() <= most_bytes) return text;
  size_t cut = most_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

inline bool valid_utf8(std::string_view text) {
  size_t index = 0;
  while (index < text.size()) {
    auto byte = static_cast<unsigned char>(text[index]);
    size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || index + length > text.size()) return false;
    for (size_t next = 1; next < length; ++next)
      if ((static_cast<unsigned char>(text[index + next]) & 0xC0) != 0x80) return false;
    index += length;
  }
  return true;
}

}  // namespace weir
