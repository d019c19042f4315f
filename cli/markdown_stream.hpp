// MarkdownStream — shows a streamed answer's Markdown on a terminal, as it
// arrives, without ever rewriting what is already on the screen.
//
// Line-based: only the start of a line is held back, until it is clear what
// the line is (at most a few characters, or the whole line for a code
// fence), then the rest of the line streams through as it comes. Fenced code
// blocks get a frame (a top edge naming the language, a bar before each line,
// a bottom edge), headings are bold and "- "/"* " list items get a bullet;
// everything else is printed as written. Styling that needs the text after a
// point (emphasis, links, tables) is left as written: it cannot be shown
// without reflowing printed text. When not `styled` (piped output, NO_COLOR,
// --raw, --json), feed() returns its input unchanged, at once.
// Used from one thread at a time.
#pragma once

#include <string>
#include <string_view>

namespace weir::cli {

class MarkdownStream {
 public:
  explicit MarkdownStream(bool styled) : styled_(styled) {}

  // What to print now for the next piece of the answer.
  std::string feed(std::string_view text);
  // What is still held back at the end of the answer (an unfinished line, the
  // frame of an unclosed code block).
  std::string finish();

 private:
  enum class Line { undecided, plain, heading, fence_marker };
  // Decides the held-back start of a line, if it can; `ended` when the line's
  // newline has arrived.
  std::string decide(bool ended);

  bool styled_;
  bool in_fence_ = false;
  Line line_ = Line::undecided;
  std::string held_;  // the start of the current line, not printed yet
};

}  // namespace weir::cli
