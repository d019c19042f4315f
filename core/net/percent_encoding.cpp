#include "core/net/percent_encoding.hpp"

namespace weir {

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string result;
  result.reserve(text.size());
  for (unsigned char character : text) {
    bool unreserved = (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z') ||
                      (character >= '0' && character <= '9') || character == '-' || character == '_' ||
                      character == '.' || character == '~';
    if (unreserved || (keep_slash && character == '/')) {
      result += static_cast<char>(character);
    } else {
      result += '%';
      result += kHex[character >> 4];
      result += kHex[character & 15];
    }
  }
  return result;
}

}  // namespace weir
