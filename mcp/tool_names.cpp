#include "mcp/tool_names.hpp"

#include "core/error.hpp"

namespace weir::mcp {

namespace {
constexpr size_t kMaxToolName = 64;
}

std::string tool_identifier(std::string_view name) {
  std::string identifier;
  for (size_t index = 0; index < name.size(); ++index) {
    auto byte = static_cast<unsigned char>(name[index]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: its code point is already replaced
    if (byte >= 'A' && byte <= 'Z')
      identifier.push_back(static_cast<char>(byte - 'A' + 'a'));
    else if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') || byte == '_')
      identifier.push_back(static_cast<char>(byte));
    else
      identifier.push_back('_');
  }
  if (identifier.find_first_not_of('_') == std::string::npos)
    throw Error(ErrorKind::usage, "tool name '" + std::string(name) +
                                      "' has no letters or digits; give a name such as `support_bot`");
  return identifier;
}

std::string tool_name(std::string_view prefix, std::string_view name, std::string_view suffix) {
  auto full = std::string(prefix) + tool_identifier(name) + std::string(suffix);
  if (full.size() > kMaxToolName)
    throw Error(ErrorKind::usage, "tool name '" + full + "' is longer than " + std::to_string(kMaxToolName) +
                                      " characters; give a shorter name");
  return full;
}

}  // namespace weir::mcp
