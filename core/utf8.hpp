// UTF-8 helpers for text weir shortens before showing or forwarding it.
//
// utf8_prefix(text, most_bytes): the longest prefix of `text` of at most
// `most_bytes` bytes that does not end inside a character, so valid UTF-8
// stays valid (a JSON encoder refuses a cut character).
#pragma once

#include <string_view>

namespace weir {

inline std::string_view utf8_prefix(std::string_view text, size_t most_bytes) {
  if (text.size() <= most_bytes) return text;
  size_t cut = most_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace weir
