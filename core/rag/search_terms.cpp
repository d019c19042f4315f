#include "core/rag/search_terms.hpp"

#include "core/error.hpp"

namespace weir {

size_t count_characters(std::string_view text) {
  size_t count = 0;
  for (char byte : text)
    if ((static_cast<unsigned char>(byte) & 0xC0) != 0x80) ++count;
  return count;
}

void check_search_terms(const std::vector<std::string>& terms) {
  if (terms.empty()) throw Error(ErrorKind::usage, "give at least one search term");
  if (terms.size() > kMostSearchTerms)
    throw Error(ErrorKind::usage, "too many search terms (" + std::to_string(terms.size()) + "); give at most " +
                                      std::to_string(kMostSearchTerms));
  size_t characters = 0;
  for (const auto& term : terms) {
    if (term.find_first_not_of(" \t\r\n") == std::string::npos)
      throw Error(ErrorKind::usage, "a search term is empty; every term must have some text");
    characters += count_characters(term);
  }
  if (characters > kMostSearchCharacters)
    throw Error(ErrorKind::usage, "the search terms have " + std::to_string(characters) +
                                      " characters in all; the limit is " + std::to_string(kMostSearchCharacters) +
                                      ", so use shorter terms");
}

std::vector<std::string> search_terms_argument(const nlohmann::json& arguments) {
  auto value = arguments.is_object() ? arguments.find("search_terms") : arguments.end();
  if (!arguments.is_object() || value == arguments.end() || !value->is_array())
    throw Error(ErrorKind::usage, "'search_terms' is required: an array of 1 to " + std::to_string(kMostSearchTerms) +
                                      " non-empty strings");
  std::vector<std::string> terms;
  for (const auto& term : *value) {
    if (!term.is_string())
      throw Error(ErrorKind::usage, "every search term must be a string; got " +
                                        term.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    terms.push_back(term.get<std::string>());
  }
  check_search_terms(terms);
  return terms;
}

}  // namespace weir
