#include "cli/terminal_text.hpp"

namespace weir::cli {

namespace {
constexpr char kC1Lead = '\xC2';  // U+0080..U+00BF begin with it
bool is_c1_second(char byte) {
  auto value = static_cast<unsigned char>(byte);
  return value >= 0x80 && value <= 0x9F;
}
}  // namespace

std::string escape_controls(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n' || byte == '\t') {
      out += text[i];
    } else if (byte == '\r') {
      continue;
    } else if (byte < 0x20) {
      out += '^';
      out += static_cast<char>(byte + 0x40);
    } else if (byte == 0x7F) {
      out += "^?";
    } else if (text[i] == kC1Lead && i + 1 < text.size() && is_c1_second(text[i + 1])) {
      auto value = static_cast<unsigned char>(text[i + 1]);
      out += "\\u00";
      out += kHex[value >> 4];
      out += kHex[value & 0xF];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::size_t escapable_prefix(std::string_view text) {
  return !text.empty() && text.back() == kC1Lead ? text.size() - 1 : text.size();
}

std::string ControlEscaper::feed(std::string_view text) {
  held_ += text;
  auto ready = escapable_prefix(held_);
  auto out = escape_controls(std::string_view(held_).substr(0, ready));
  held_.erase(0, ready);
  return out;
}

std::string ControlEscaper::finish() {
  auto out = escape_controls(held_);
  held_.clear();
  return out;
}

}  // namespace weir::cli
