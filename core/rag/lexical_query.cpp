#include "core/rag/lexical_query.hpp"

#include <algorithm>
#include <iterator>
#include <cstdint>

namespace weir {

namespace {

bool is_ascii_word_byte(unsigned char byte) {
  return (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z');
}

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Decodes the UTF-8 sequence at text[position] (whose first byte is >= 0x80).
// Returns its length, or 0 when it is not valid UTF-8 (overlong forms,
// surrogates and truncated sequences included).
std::size_t decode_utf8(std::string_view text, std::size_t position, char32_t& code_point) {
  auto byte_at = [&](std::size_t index) { return static_cast<unsigned char>(text[index]); };
  unsigned char lead = byte_at(position);
  std::size_t length = 0;
  char32_t value = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
  } else {
    return 0;
  }
  if (position + length > text.size()) return 0;
  for (std::size_t index = 1; index < length; ++index) {
    if (!is_continuation(byte_at(position + index))) return 0;
    value = (value << 6) | (byte_at(position + index) & 0x3F);
  }
  if ((length == 3 && value < 0x800) || (length == 4 && (value < 0x10000 || value > 0x10FFFF)) ||
      (value >= 0xD800 && value <= 0xDFFF))
    return 0;
  code_point = value;
  return length;
}

// Punctuation, symbols, spaces and controls outside ASCII, from the blocks
// that real text uses; everything else non-ASCII is part of a word, as in
// unicode61 (letters, digits, marks).
bool is_separator_code_point(char32_t code_point) {
  if (code_point < 0xC0) {
    switch (code_point) {
      case 0xAA:  // feminine ordinal, a letter
      case 0xB2:  // superscript two and three, numbers
      case 0xB3:
      case 0xB5:  // micro sign, a letter
      case 0xB9:
      case 0xBA:
      case 0xBC:  // vulgar fractions, numbers
      case 0xBD:
      case 0xBE:
        return false;
      default:
        return true;
    }
  }
  if (code_point == 0xD7 || code_point == 0xF7) return true;  // multiplication and division signs
  if (code_point >= 0x2000 && code_point <= 0x206F) return true;  // general punctuation
  if (code_point >= 0x20A0 && code_point <= 0x20CF) return true;  // currency
  if (code_point >= 0x2190 && code_point <= 0x2BFF) return true;  // arrows, mathematical operators, shapes
  if (code_point >= 0x2E00 && code_point <= 0x2E7F) return true;  // supplemental punctuation
  if (code_point >= 0x3000 && code_point <= 0x303F)
    return code_point < 0x3005 || code_point > 0x3007;  // CJK punctuation, bar the iteration marks
  if (code_point >= 0xFE10 && code_point <= 0xFE6F) return true;  // vertical, compatibility, small forms
  if (code_point == 0xFEFF) return true;                          // byte order mark
  if (code_point >= 0xFF00 && code_point <= 0xFF0F) return true;  // fullwidth punctuation
  if (code_point >= 0xFF1A && code_point <= 0xFF20) return true;
  if (code_point >= 0xFF3B && code_point <= 0xFF40) return true;
  if (code_point >= 0xFF5B && code_point <= 0xFF65) return true;
  if (code_point >= 0x1F000 && code_point <= 0x1FAFF) return true;  // emoji and pictographs
  return false;
}

// Sorted, for binary search. Negations ("not", "no") are here too: BM25 and
// hashing cannot use them, and they would only add noise.
constexpr std::string_view kStopwords[] = {
    "a",       "about",  "above", "after",   "again", "against", "all",     "am",       "an",
    "and",     "any",    "are",   "as",      "at",    "be",      "because", "been",     "before",
    "being",   "below",  "between", "both",  "but",   "by",      "can",     "could",    "did",
    "do",      "does",   "doing", "down",    "during", "each",   "few",     "for",      "from",
    "further", "had",    "has",   "have",    "having", "he",     "her",     "here",     "hers",
    "herself", "him",    "himself", "his",   "how",   "i",       "if",      "in",       "into",
    "is",      "it",     "its",   "itself",  "just",  "me",      "more",    "most",     "my",
    "myself",  "no",     "nor",   "not",     "now",   "of",      "off",     "on",       "once",
    "only",    "or",     "other", "our",     "ours",  "ourselves", "out",   "over",     "own",
    "same",    "she",    "should", "so",     "some",  "such",    "than",    "that",     "the",
    "their",   "theirs", "them",  "themselves", "then", "there", "these",   "they",     "this",
    "those",   "through", "to",   "too",     "under", "until",   "up",      "very",     "was",
    "we",      "were",   "what",  "when",    "where", "which",   "while",   "who",      "whom",
    "why",     "will",   "with",  "would",   "you",   "your",    "yours",   "yourself", "yourselves",
};

static_assert(std::is_sorted(std::begin(kStopwords), std::end(kStopwords)), "binary search needs order");

bool ends_with(std::string_view word, std::string_view suffix) {
  return word.size() >= suffix.size() && word.substr(word.size() - suffix.size()) == suffix;
}

}  // namespace

std::size_t next_word(std::string_view text, std::size_t position, std::string& word) {
  word.clear();
  const std::size_t size = text.size();
  while (position < size) {
    auto byte = static_cast<unsigned char>(text[position]);
    if (byte < 0x80) {
      if (is_ascii_word_byte(byte)) {
        word.push_back(static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte + ('a' - 'A') : byte));
      } else if (!word.empty()) {
        return position + 1;
      }
      ++position;
      continue;
    }
    char32_t code_point = 0;
    std::size_t length = decode_utf8(text, position, code_point);
    if (length == 0 || is_separator_code_point(code_point)) {
      position += length == 0 ? 1 : length;
      if (!word.empty()) return position;
      continue;
    }
    if (code_point >= 0xC0 && code_point <= 0xDE && code_point != 0xD7) {
      // Latin-1 capitals fold like ASCII ones, so "Élan" and "élan" are one word.
      word.push_back(text[position]);
      word.push_back(static_cast<char>(static_cast<unsigned char>(text[position + 1]) + 0x20));
    } else {
      word.append(text.substr(position, length));
    }
    position += length;
  }
  return word.empty() ? std::string_view::npos : position;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (std::size_t position = next_word(text, 0, word); position != std::string_view::npos;
       position = next_word(text, position, word))
    words.push_back(word);
  return words;
}

namespace {

// Where each first letter's stopwords start and end in kStopwords, and which
// lengths occur among them: most content words are rejected by one lookup.
struct StopwordIndex {
  unsigned char begin[26] = {};
  unsigned char end[26] = {};
  uint16_t lengths[26] = {};  // bit n set: some stopword of length n
};

constexpr StopwordIndex make_stopword_index() {
  StopwordIndex index;
  for (std::size_t position = 0; position < std::size(kStopwords); ++position) {
    const auto letter = static_cast<std::size_t>(kStopwords[position][0] - 'a');
    if (index.end[letter] == 0) index.begin[letter] = static_cast<unsigned char>(position);
    index.end[letter] = static_cast<unsigned char>(position + 1);
    index.lengths[letter] = static_cast<uint16_t>(index.lengths[letter] | (1u << kStopwords[position].size()));
  }
  return index;
}

constexpr StopwordIndex kStopwordIndex = make_stopword_index();
constexpr bool fits_stopword_index() {
  for (auto word : kStopwords)
    if (word.empty() || word.size() >= 16 || word[0] < 'a' || word[0] > 'z') return false;
  return std::size(kStopwords) < 256;
}
static_assert(fits_stopword_index(), "StopwordIndex holds lower-case words under 16 bytes, fewer than 256");

}  // namespace

bool is_stopword(std::string_view word) {
  if (word.empty() || word.size() > 15 || word[0] < 'a' || word[0] > 'z') return false;
  const auto letter = static_cast<std::size_t>(word[0] - 'a');
  if ((kStopwordIndex.lengths[letter] & (1u << word.size())) == 0) return false;
  for (std::size_t position = kStopwordIndex.begin[letter]; position < kStopwordIndex.end[letter]; ++position)
    if (kStopwords[position] == word) return true;
  return false;
}

std::string_view light_stem(std::string_view word, std::string& storage) {
  // Short words are mostly acronyms and units ("cos", "gas", "mrs"), where
  // a stripped "s" would only merge unrelated terms.
  if (word.size() <= 3) return word;
  if (ends_with(word, "ies") && !ends_with(word, "eies") && !ends_with(word, "aies")) {
    storage.assign(word.substr(0, word.size() - 3));
    storage.push_back('y');
    return storage;
  }
  if (ends_with(word, "es") && !ends_with(word, "aes") && !ends_with(word, "ees") && !ends_with(word, "oes"))
    return word.substr(0, word.size() - 1);
  if (ends_with(word, "s") && !ends_with(word, "us") && !ends_with(word, "ss") && !ends_with(word, "is"))
    return word.substr(0, word.size() - 1);
  return word;
}

std::vector<std::string> fts_match_phrases(std::string_view query) {
  std::vector<std::string> terms;
  std::vector<std::string> stopwords;
  std::string word;
  for (std::size_t position = next_word(query, 0, word); position != std::string_view::npos;
       position = next_word(query, position, word)) {
    auto& bucket = is_stopword(word) ? stopwords : terms;
    if (bucket.size() < kMaxQueryTerms && std::find(bucket.begin(), bucket.end(), word) == bucket.end())
      bucket.push_back(word);
  }
  // A query of nothing but function words ("The Who") still deserves results.
  auto& chosen = terms.empty() ? stopwords : terms;
  // next_word() never yields '"', so the quoting needs no escaping.
  for (auto& term : chosen) term = '"' + term + '"';
  return std::move(chosen);
}

std::string fts_match_expression(std::string_view query) {
  std::string expression;
  for (const auto& phrase : fts_match_phrases(query)) {
    if (!expression.empty()) expression += " OR ";
    expression += phrase;
  }
  return expression;
}

}  // namespace weir
