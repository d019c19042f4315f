#include "core/gateway/identifiers.hpp"

#include <sys/random.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "core/error.hpp"

namespace weir {

int64_t now_milliseconds() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string new_uuid_v7() {
  std::array<unsigned char, 16> bytes{};
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t got = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) throw Error(ErrorKind::runtime, "the system random source failed");
    filled += static_cast<size_t>(got);
  }
  auto milliseconds = static_cast<uint64_t>(now_milliseconds());
  for (int index = 0; index < 6; ++index)
    bytes[static_cast<size_t>(index)] = static_cast<unsigned char>(milliseconds >> (8 * (5 - index)));
  bytes[6] = static_cast<unsigned char>(0x70 | (bytes[6] & 0x0F));
  bytes[8] = static_cast<unsigned char>(0x80 | (bytes[8] & 0x3F));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t index = 0; index < bytes.size(); ++index) {
    if (index == 4 || index == 6 || index == 8 || index == 10) text.push_back('-');
    text.push_back(kHex[bytes[index] >> 4]);
    text.push_back(kHex[bytes[index] & 0x0F]);
  }
  return text;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t index = 0; index < text.size(); ++index) {
    char character = text[index];
    bool dash_position = index == 8 || index == 13 || index == 18 || index == 23;
    if (dash_position ? character != '-'
                      : !((character >= '0' && character <= '9') || (character >= 'a' && character <= 'f')))
      return false;
  }
  return true;
}

std::string make_slug(std::string_view name, std::string_view id) {
  return std::string(name) + ":" + std::string(id.substr(id.size() >= 4 ? id.size() - 4 : 0));
}

std::string format_timestamp(int64_t milliseconds) {
  std::time_t seconds = static_cast<std::time_t>(milliseconds / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<int>(milliseconds % 1000));
  return buffer;
}

void validate_name(std::string_view name, std::string_view what) {
  auto fail = [&](const std::string& why) {
    throw Error(ErrorKind::usage, "invalid " + std::string(what) + " '" + std::string(name) + "': " + why);
  };
  if (name.empty()) fail("it is empty");
  if (name.size() > 64) fail("it is longer than 64 characters");
  for (char character : name) {
    bool allowed = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                   (character >= '0' && character <= '9') || character == '.' || character == '_' ||
                   character == '-';
    if (!allowed)
      fail(std::string("'") + character + "' is not allowed; use letters, digits, '.', '_' and '-'");
  }
  char first = name.front();
  if (first == '.' || first == '_' || first == '-') fail("it must start with a letter or a digit");
}

}  // namespace weir
