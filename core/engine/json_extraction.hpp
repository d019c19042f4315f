// JSON extraction — the JSON a model meant to write, found in what it wrote.
//
// A model asked for JSON often wraps it in prose or a ```json fence, leaves
// a trailing comma, forgets an opening or closing brace, or is cut off
// mid-value by max_tokens. json_candidates() lists the texts worth parsing,
// best first and without repeats:
//   1. the whole answer, trimmed;
//   2. the body of each fenced block (``` or ~~~, any info string; an
//      unterminated fence runs to the end of the answer);
//   3. the span from the first '{' or '[' to the last '}' or ']', and from
//      that first opener to the end (a truncated tail);
//   4. each of those repaired (repair_json_text), and with the openers of
//      unmatched leading closers put in front (`"a": 1}` -> `{"a": 1}`).
// Nothing here parses or validates: the caller tries the candidates in order
// (core/engine/structured_output.hpp). Pure functions, no exceptions but
// std::bad_alloc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir {

std::vector<std::string> json_candidates(std::string_view answer);

// `text` with its syntax mended where the intent is clear: a comma before a
// closing '}' or ']' is dropped; a closer that does not match the innermost
// open container first closes the inner ones; a closer with nothing open is
// dropped; at the end an open string is closed (a dangling backslash
// dropped), a key left without a value gets null, and every open array and
// object is closed innermost first. Text that is already valid JSON comes
// back unchanged.
std::string repair_json_text(std::string_view text);

// `text` with '{' or '[' put in front for every closer that has no opener
// (outside strings), so `"a": 1}` becomes `{"a": 1}`; unchanged when every
// closer is matched.
std::string add_missing_openers(std::string_view text);

}  // namespace weir
