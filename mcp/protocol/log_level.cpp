#include "mcp/protocol/log_level.hpp"

#include <array>

namespace weir::mcp::protocol {

namespace {
constexpr std::array<std::string_view, 8> kNames = {"debug", "info",     "notice", "warning",
                                                    "error", "critical", "alert",  "emergency"};
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (size_t index = 0; index < kNames.size(); ++index)
    if (kNames[index] == text) return static_cast<LogLevel>(index);
  return std::nullopt;
}

std::string_view to_string(LogLevel level) { return kNames[static_cast<size_t>(level)]; }

}  // namespace weir::mcp::protocol
