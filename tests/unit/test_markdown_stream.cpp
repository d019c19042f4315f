// The chat answer's Markdown on a terminal (cli/markdown_stream): the exact
// bytes shown for each construct, the same whatever the pieces the answer
// arrives in, nothing shown twice or rewritten, and no control character of
// the model's reaching the terminal.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/markdown_stream.hpp"
#include "cli/terminal_text.hpp"

using weir::cli::AnswerStyle;
using weir::cli::MarkdownStream;

namespace {

std::string shown(const std::vector<std::string>& pieces, AnswerStyle style = AnswerStyle::styled) {
  MarkdownStream stream(style, 80);
  std::string out;
  for (const auto& piece : pieces) out += stream.feed(piece);
  return out + stream.finish();
}

// The output for `answer` whole, after checking that every split of it into
// two pieces, and one character at a time, shows exactly the same.
std::string shown_any_split(const std::string& answer) {
  auto whole = shown({answer});
  for (std::size_t at = 0; at <= answer.size(); ++at)
    REQUIRE_MESSAGE(shown({answer.substr(0, at), answer.substr(at)}) == whole, "split at ", at, " of ", answer);
  std::vector<std::string> characters;
  for (char c : answer) characters.emplace_back(1, c);
  REQUIRE(shown(characters) == whole);
  return whole;
}

const std::string B = "\033[1m", b = "\033[22m", I = "\033[3m", i = "\033[23m";
const std::string C = "\033[36m", c = "\033[39m", U = "\033[4m", u = "\033[24m", L = "\033[34m";

}  // namespace

TEST_CASE("markdown: emphasis and code spans are styled, markers hidden") {
  CHECK(shown_any_split("a **bold** b\n") == "a " + B + "bold" + b + " b\n");
  CHECK(shown_any_split("__bold__ and *it* and _it_\n") == B + "bold" + b + " and " + I + "it" + i + " and " + I +
                                                               "it" + i + "\n");
  CHECK(shown_any_split("***both***\n") == B + I + "both" + i + b + "\n");
  CHECK(shown_any_split("use `a*b*c` here\n") == "use " + C + "a*b*c" + c + " here\n");
  CHECK(shown_any_split("``a ` b``\n") == C + "a ` b" + c + "\n");
  CHECK(shown_any_split("*a **b** c*\n") == I + "a " + B + "b" + b + " c" + i + "\n");
}

TEST_CASE("markdown: what opens no span is shown as written") {
  CHECK(shown_any_split("2 * 3 * 4\n") == "2 * 3 * 4\n");
  CHECK(shown_any_split("snake_case_name\n") == "snake_case_name\n");
  CHECK(shown_any_split("an *unclosed span\n") == "an *unclosed span\n");
  CHECK(shown_any_split("a `tick\n") == "a `tick\n");
  CHECK(shown_any_split("\\*not\\* it\n") == "*not* it\n");
  CHECK(shown_any_split("**\n") == "**\n");
  CHECK(shown_any_split("[1] and [x] (y)\n") == "[1] and [x] (y)\n");
  // A span does not cross a line: each line shows its marker as written.
  CHECK(shown_any_split("*a\nb*\n") == "*a\nb*\n");
}

TEST_CASE("markdown: a span is held until it closes, and what precedes it is not") {
  MarkdownStream stream(AnswerStyle::styled);
  CHECK(stream.feed("see **bo") == "see ");
  CHECK(stream.feed("ld") == "");
  CHECK(stream.feed("**") == "");  // "***" would be another span
  CHECK(stream.feed(" now") == B + "bold" + b + " now");
  CHECK(stream.feed(" [doc") == " ");
  CHECK(stream.feed("s](https://x.io/a_(b)) end") == U + "docs" + u + " (" + L + "https://x.io/a_(b)" + c + ") end");
  CHECK(stream.finish() == "");
}

TEST_CASE("markdown: links show their text and their URL") {
  CHECK(shown_any_split("see [the docs](https://example.com/d) now\n") ==
        "see " + U + "the docs" + u + " (" + L + "https://example.com/d" + c + ") now\n");
  CHECK(shown_any_split("[https://a.b](https://a.b)\n") == U + "https://a.b" + u + "\n");
  CHECK(shown_any_split("[**b**](u)\n") == U + B + "b" + b + u + " (" + L + "u" + c + ")\n");
  CHECK(shown_any_split("[no url] here\n") == "[no url] here\n");
  CHECK(shown_any_split("[a](has space)\n") == "[a](has space)\n");
}

TEST_CASE("markdown: bulleted and numbered lists, nested") {
  CHECK(shown_any_split("- one\n  - two\n    * three\n+ four\n") == "• one\n  ◦ two\n    ▪ three\n• four\n");
  CHECK(shown_any_split("1. first **x**\n   1) sub\n10. ten\n") == "1. first " + B + "x" + b + "\n   1) sub\n10. ten\n");
  CHECK(shown_any_split("-not a bullet\n") == "-not a bullet\n");
  CHECK(shown_any_split("- **bold** item\n") == "• " + B + "bold" + b + " item\n");
}

TEST_CASE("markdown: headings, quotes and horizontal rules") {
  CHECK(shown_any_split("## Title **x**\n") == B + "## Title x\033[0m\n");
  CHECK(shown_any_split("#hashtag\n") == "#hashtag\n");
  CHECK(shown_any_split("> quoted *it*\n>> deeper\n") ==
        "\033[2m▎\033[22m quoted " + I + "it" + i + "\n\033[2m▎\033[22m \033[2m▎\033[22m deeper\n");
  std::string rule;
  for (int n = 0; n < 80; ++n) rule += "─";
  CHECK(shown_any_split("a\n---\n* * *\n___\nb\n") == "a\n" + rule + "\n" + rule + "\n" + rule + "\nb\n");
  CHECK(shown_any_split("--flag\n") == "--flag\n");
  CHECK(shown_any_split("--\n") == "--\n");
}

TEST_CASE("markdown: fenced code is framed and shown as written") {
  CHECK(shown_any_split("```python\nx = a*b*c  # **not bold**\n\n```\nafter\n") ==
        "┌─ python ────\n│ x = a*b*c  # **not bold**\n│ \n└──────\nafter\n");
  // An answer that ends inside a block still gets the bottom edge.
  CHECK(shown({"```\ncode"}) == "┌───────\n│ code\n└──────\n");
}

TEST_CASE("markdown: a pipe table is held until it ends, then printed aligned in a frame") {
  const std::string table =
      "| Name | Qty | Note |\n"
      "|:-----|----:|:----:|\n"
      "| apple | 3 | `ok` |\n"
      "| kiwi | 12 |\n";
  const std::string framed =
      "┌───────┬─────┬──────┐\n"
      "│ " + B + "Name" + b + "  │ " + B + "Qty" + b + " │ " + B + "Note" + b + " │\n"
      "├───────┼─────┼──────┤\n"
      "│ apple │   3 │  " + C + "ok" + c + "  │\n"
      "│ kiwi  │  12 │      │\n"
      "└───────┴─────┴──────┘\n";
  CHECK(shown_any_split(table + "after\n") == framed + "after\n");
  CHECK(shown_any_split("before\n" + table) == "before\n" + framed);
  CHECK(shown_any_split(table + "\nnext\n") == framed + "\nnext\n");

  // Nothing of the table shows before the line after it starts.
  MarkdownStream stream(AnswerStyle::styled);
  CHECK(stream.feed(table) == "");
  CHECK(stream.feed("a") == framed + "a");

  // Pipe lines without a delimiter row are not a table: shown as written.
  CHECK(shown_any_split("| a | b |\n| c |\n") == "| a | b |\n| c |\n");
  // A '|' in a code span or escaped does not split a cell.
  CHECK(shown_any_split("| `a|b` | c \\| d |\n|---|---|\n") ==
        "┌─────┬───────┐\n│ " + B + C + "a|b" + c + b + " │ " + B + "c | d" + b + " │\n├─────┼───────┤\n"
        "└─────┴───────┘\n");
}

TEST_CASE("markdown: the model's control characters never reach the terminal as controls") {
  const std::string hostile = "a\033]0;owned\007b\x9b" "2J\r\nc\x7f";
  const std::string hostile_utf8 = "a\033]0;owned\007b\xc2\x9b" "2J\r\nc\x7f";
  CHECK(shown_any_split(hostile_utf8) == "a^[]0;owned^Gb\\u009b2J\nc^?");
  CHECK(shown_any_split("`\033[2J`\n") == C + "^[[2J" + c + "\n");
  CHECK(shown_any_split("```\033[31m\n\033[2J\n```\n") == "┌─ ^[[31m ────\n│ ^[[2J\n└──────\n");
  // With NO_COLOR or --raw on a terminal: as written, but escaped, also
  // across pieces.
  CHECK(shown({"**a** \xc2", "\x9b" "b\033"}, AnswerStyle::escaped) == "**a** \\u009bb^[");
  // Piped: byte for byte.
  CHECK(shown({hostile}, AnswerStyle::verbatim) == hostile);
  CHECK(weir::cli::escape_controls("tab\there\xc3\xa9") == "tab\there\xc3\xa9");
}
