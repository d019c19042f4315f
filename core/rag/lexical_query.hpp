// Lexical query — the word-level text handling shared by the lexical half of
// search (SQLite FTS5), the local embedder and the lexical reranker.
//
// Words are what FTS5's unicode61 tokenizer would find, as closely as a small
// table allows: runs of letters and digits, where every non-ASCII code point
// counts as a letter except punctuation, symbols and spaces from the common
// Unicode blocks (so "“covid–19”" gives "covid" and "19", as FTS5 does).
// ASCII is lower-cased; other bytes are kept as they are. Invalid UTF-8 bytes
// separate words, so they never reach FTS5.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

// The FTS5 tokenizer every collection's full-text table uses. On SciFact train
// (bench/retrieval_tuning) BM25 nDCG@10 is 0.701 with it and 0.671 with plain
// unicode61.
inline constexpr std::string_view kFullTextTokenizer = "porter unicode61 remove_diacritics 2";

// Most distinct terms a query contributes to the MATCH expression: a pasted
// page must not turn into an OR over thousands of terms that scores the
// whole table.
inline constexpr std::size_t kMaxQueryTerms = 64;

// Finds the next word of `text` at or after `position`: writes it, lower-cased,
// into `word` and returns the position just past it, or std::string_view::npos
// (with `word` empty) when no word is left.
std::size_t next_word(std::string_view text, std::size_t position, std::string& word);

// Every word of `text`, as next_word() finds them.
std::vector<std::string> split_words(std::string_view text);

// Common English function words ("the", "of", "and", "not", "near"... is not
// one). `word` must be lower-case, as next_word() gives it.
bool is_stopword(std::string_view word);

// A light, conservative English plural stripper: "cells" meets "cell" and
// "studies" meets "study", while "cellular" stays apart. Not Porter: it only
// has to be stable and cheap, since FTS5 does the real stemming for BM25.
std::string_view light_stem(std::string_view word, std::string& storage);

// Turns arbitrary user text into safe FTS5 MATCH phrases: each distinct word
// becomes a double-quoted string, so FTS5 syntax (AND, OR, NOT, NEAR,
// parentheses, '*', '^', ':', '-', '+') is matched literally, never
// interpreted. Stopwords are dropped unless the query has nothing else.
// Empty when the text has no words: the caller must then skip the lexical
// retriever (an empty MATCH is an FTS5 syntax error).
std::vector<std::string> fts_match_phrases(std::string_view query);

// The phrases of fts_match_phrases() OR-joined, leaving the ranking to bm25().
std::string fts_match_expression(std::string_view query);


}  // namespace weir
