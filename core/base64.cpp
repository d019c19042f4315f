#include "core/base64.hpp"

#include <cstdint>

namespace weir {

namespace {
bool is_base64_character(char character) noexcept {
  return (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z') ||
         (character >= '0' && character <= '9') || character == '+' || character == '/';
}
}  // namespace

bool is_base64(std::string_view text) noexcept {
  if (text.empty()) return false;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  auto body = text.substr(0, text.size() - padding);
  for (char character : body)
    if (!is_base64_character(character)) return false;
  if (padding > 0) return text.size() % 4 == 0;
  return body.size() % 4 != 1;  // unpadded: a lone last character encodes nothing
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  size_t index = 0;
  for (; index + 3 <= bytes.size(); index += 3) {
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[index])) << 16 |
                     static_cast<uint32_t>(static_cast<unsigned char>(bytes[index + 1])) << 8 |
                     static_cast<uint32_t>(static_cast<unsigned char>(bytes[index + 2]));
    encoded += kAlphabet[(group >> 18) & 63];
    encoded += kAlphabet[(group >> 12) & 63];
    encoded += kAlphabet[(group >> 6) & 63];
    encoded += kAlphabet[group & 63];
  }
  size_t rest = bytes.size() - index;
  if (rest > 0) {
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[index])) << 16;
    if (rest == 2) group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[index + 1])) << 8;
    encoded += kAlphabet[(group >> 18) & 63];
    encoded += kAlphabet[(group >> 12) & 63];
    encoded += rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    encoded += '=';
  }
  return encoded;
}

}  // namespace weir
