// Markdown inline spans on a terminal — the styling inside one line of a
// streamed answer: **bold** and __bold__, *italic* and _italic_, ***both***,
// `code`, [text](url) links (the text underlined, then the URL in
// parentheses, once when the text is the URL) and backslash escapes.
//
// Streaming without reflowing: render() shows the start of `text` that is
// decided and reports how much it consumed; an opening marker whose span has
// not closed yet is held (with what follows it) until it closes or the line
// ends. When the line has ended (`line_ended`), everything is decided: a
// marker that never closed is shown as written. Spans do not cross lines.
// Intraword underscores (snake_case) stay as written; a marker followed by a
// space opens nothing ("2 * 3"). Every piece of the model's text is passed
// through escape_controls (terminal_text.hpp). Within a heading (`bold_line`)
// bold spans add no codes, so they do not end the heading's bold.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weir::cli {

struct InlineRender {
  std::string shown;          // what to print now
  std::size_t consumed = 0;   // bytes of the text that `shown` covers
};

// `before` is the character printed just before `text` on this line ('\0' at
// the line's start), for the intraword-underscore rule.
InlineRender render_inline(std::string_view text, bool line_ended, bool bold_line, char before = '\0');

// The number of characters (UTF-8 code points) a terminal shows for `shown`,
// not counting escape sequences: how table cells are measured.
std::size_t shown_width(std::string_view shown);

}  // namespace weir::cli
