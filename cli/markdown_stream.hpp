// MarkdownStream — shows a streamed answer's Markdown on a terminal, as it
// arrives, without ever rewriting what is already on the screen.
//
// Line-based. The start of a line is held until it is clear what the line
// is (a few characters; the whole line for a code fence or a horizontal
// rule), then the line streams through, its inline spans styled as they
// close (markdown_inline.hpp: an opened span is held until it closes or the
// line ends). Blocks:
//   ```lang fences   a frame: a top edge naming the language, "│ " before
//                    each line (shown as written), a bottom edge
//   # headings       bold, markers kept
//   - * + bullets    "•", then "◦", "▪" as the indentation deepens (two
//                    columns a level); numbered items are shown as written
//   > quotes         "▎ " per level, the text styled inline
//   --- *** ___      a horizontal rule
//   | pipe tables    held until the line after the table starts (or the
//                    answer ends), then printed aligned in a frame
//                    (markdown_table.hpp)
// Anything else is a paragraph line, styled inline. The Markdown parsers
// Debian packages (cmark, cmark-gfm, md4c) parse a whole document; showing
// a stream with them would mean reparsing and redrawing, which this class
// exists to avoid.
//
// Styles: `styled` renders as above; `escaped` prints the text as written but
// with control characters made visible (terminal_text.hpp), for a terminal
// with NO_COLOR or --raw; `verbatim` returns the input unchanged, at once
// (piped output, --json). Styled output is escaped too. One thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cli/terminal_text.hpp"

namespace weir::cli {

enum class AnswerStyle { verbatim, escaped, styled };

class MarkdownStream {
 public:
  // `columns`: the terminal's width, for horizontal rules (at most 80 used).
  explicit MarkdownStream(AnswerStyle style, std::size_t columns = 80) : style_(style), columns_(columns) {}

  // What to print now for the next piece of the answer.
  std::string feed(std::string_view text);
  // What is still held back at the end of the answer (an unfinished line, a
  // table, the frame of an unclosed code block). The output may end without
  // a newline (an unfinished paragraph line): the caller ends it.
  std::string finish();

 private:
  enum class Line { undecided, fence_marker, code, text, table_row };
  // Decides the held-back start of a line, if it can; `ended` when the line's
  // newline has arrived.
  std::string decide(bool ended);
  std::string end_line();
  // The decided part of the current line's pending text.
  std::string show_pending(bool ended);
  std::string flush_table();

  AnswerStyle style_;
  std::size_t columns_;
  ControlEscaper escaper_;  // the escaped style's
  bool in_fence_ = false;
  Line line_ = Line::undecided;
  bool bold_line_ = false;           // a heading: bold until its end
  std::string held_;                 // the start of the current line (or a whole table row), not decided yet
  std::string pending_;              // the decided line's text not shown yet
  char before_ = '\0';               // the last character of the line shown
  std::vector<std::string> table_;   // the rows of the table being read
};

}  // namespace weir::cli
