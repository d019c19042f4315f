// MCP protocol versions this server speaks, and the negotiation rule of the
// lifecycle: answer with the client's requested version when it is supported,
// otherwise with the latest one (the client then decides whether to go on).
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace weir::mcp::protocol {

inline constexpr std::array<std::string_view, 4> kSupportedVersions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                                       "2024-11-05"};
inline constexpr std::string_view kLatestVersion = kSupportedVersions.front();

std::string negotiate_version(std::string_view requested);

// Dates compare as text. Tool titles and structured output (outputSchema,
// structuredContent) exist from 2025-06-18; tool annotations from 2025-03-26.
inline bool version_at_least(std::string_view version, std::string_view minimum) { return version >= minimum; }

}  // namespace weir::mcp::protocol
