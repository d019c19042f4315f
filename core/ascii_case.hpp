// ascii_lowercase — text with A-Z made a-z and every other byte kept as it is.
//
// For the names protocols define as case-insensitive ASCII: HTTP header names
// and methods, URL schemes and hosts, media types, file extensions, flags.
// Unlike std::tolower it does not depend on the C locale (the REPL sets
// LC_CTYPE to the user's while it reads a line) and never changes a byte of a
// multi-byte UTF-8 character.
#pragma once

#include <string>
#include <string_view>

namespace weir {

inline std::string ascii_lowercase(std::string_view text) {
  std::string lowered(text);
  for (char& character : lowered)
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character - 'A' + 'a');
  return lowered;
}

}  // namespace weir
