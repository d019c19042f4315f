// Search terms — the one rule for what a search may ask, wherever it comes
// from: `weir collection search`, POST /v1/collections/search, the MCP
// `<name>_search` tool and the engine's collection search tool.
//
// The engine's own retrieval searches with the user's message as it is (see
// validate_search_request); these rules are for terms a caller writes.
//
// A search has 1 to 10 terms, none empty or only whitespace, with at most 500
// characters in all — characters (UTF-8 code points), not bytes, so a
// question in Greek gets the same room as one in English.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

inline constexpr size_t kMostSearchTerms = 10;
inline constexpr size_t kMostSearchCharacters = 500;

// Code points in UTF-8 text (continuation bytes are not counted).
size_t count_characters(std::string_view text);

// Error(usage) saying which rule `terms` breaks.
void check_search_terms(const std::vector<std::string>& terms);

// A tool call's `search_terms` argument (an array of strings), checked as
// above. Error(usage) naming the argument when it is missing or not an array
// of strings.
std::vector<std::string> search_terms_argument(const nlohmann::json& arguments);

}  // namespace weir
