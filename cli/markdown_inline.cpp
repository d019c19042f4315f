#include "cli/markdown_inline.hpp"

#include <cctype>

#include "cli/terminal_text.hpp"

namespace weir::cli {

namespace {

constexpr std::string_view kBoldOn = "\033[1m", kBoldOff = "\033[22m";
constexpr std::string_view kItalicOn = "\033[3m", kItalicOff = "\033[23m";
constexpr std::string_view kCodeOn = "\033[36m", kColorOff = "\033[39m";
constexpr std::string_view kUnderlineOn = "\033[4m", kUnderlineOff = "\033[24m";
constexpr std::string_view kUrlOn = "\033[34m";
constexpr std::size_t kNone = std::string_view::npos;

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_punctuation(char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; }

std::size_t run_length(std::string_view text, std::size_t at) {
  std::size_t end = at;
  while (end < text.size() && text[end] == text[at]) ++end;
  return end - at;
}

// Where the code span opened by `run` backticks at `at` closes (the index of
// its closing run), or kNone.
std::size_t code_closer(std::string_view text, std::size_t at, std::size_t run) {
  for (std::size_t j = at + run; j < text.size();) {
    if (text[j] != '`') {
      ++j;
      continue;
    }
    auto length = run_length(text, j);
    if (length == run) return j;
    j += length;
  }
  return kNone;
}

// Where the emphasis opened by `run` copies of `marker` at `at` closes, or
// kNone (also when it cannot be told yet: the line goes on).
std::size_t emphasis_closer(std::string_view text, std::size_t at, std::size_t run, bool line_ended) {
  char marker = text[at];
  for (std::size_t j = at + run; j < text.size();) {
    char c = text[j];
    if (c == '\\') {
      j += 2;
    } else if (c == '`') {
      auto length = run_length(text, j);
      auto close = code_closer(text, j, length);
      j = close == kNone ? j + length : close + length;
    } else if (c == marker) {
      auto length = run_length(text, j);
      if (length == run && !is_space(text[j - 1])) {
        // What follows the run decides (a longer run, a word after "_"):
        // until it arrives, the span is not known to close here.
        if (j + length == text.size()) return line_ended ? j : kNone;
        if (marker != '_' || !is_word(text[j + length])) return j;
      }
      j += length;
    } else {
      ++j;
    }
  }
  return kNone;
}

// Where the bracket opened at `at` closes, skipping nested brackets, escapes
// and code spans; or kNone.
std::size_t bracket_closer(std::string_view text, std::size_t at) {
  int depth = 0;
  for (std::size_t j = at; j < text.size();) {
    char c = text[j];
    if (c == '\\') {
      j += 2;
      continue;
    }
    if (c == '`') {
      auto length = run_length(text, j);
      auto close = code_closer(text, j, length);
      j = close == kNone ? j + length : close + length;
      continue;
    }
    if (c == '[') ++depth;
    if (c == ']' && --depth == 0) return j;
    ++j;
  }
  return kNone;
}

enum class Span { decided, literal, wait };

class Renderer {
 public:
  Renderer(bool bold_line) : bold_line_(bold_line) {}

  InlineRender render(std::string_view text, bool line_ended, char before) {
    std::size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      std::size_t next = i + 1;
      Span span = Span::literal;
      if (c == '\\') {
        if (i + 1 == text.size()) {
          span = line_ended ? Span::literal : Span::wait;
        } else if (is_punctuation(text[i + 1])) {
          literal_ += text[i + 1];
          next = i + 2;
          span = Span::decided;
        }
      } else if (c == '`') {
        span = code(text, i, line_ended, next);
      } else if (c == '*' || c == '_') {
        span = emphasis(text, i, line_ended, i == 0 ? before : text[i - 1], next);
      } else if (c == '[') {
        span = link(text, i, line_ended, next);
      } else if (c == '\xC2' && i + 1 == text.size() && !line_ended) {
        span = Span::wait;  // maybe the start of a C1 control
      }
      if (span == Span::wait) break;
      if (span == Span::literal) {
        // A run of markers that opens nothing is shown whole: "**" is not
        // a "*" that failed and then one that might succeed.
        next = (c == '*' || c == '_' || c == '`') ? i + run_length(text, i) : i + 1;
        literal_.append(text.substr(i, next - i));
      }
      i = next;
    }
    flush();
    return {std::move(out_), i};
  }

 private:
  void flush() {
    out_ += escape_controls(literal_);
    literal_.clear();
  }
  void style(std::string_view code) {
    flush();
    out_ += code;
  }
  void nested(std::string_view inner) {
    flush();
    Renderer renderer(bold_line_);
    out_ += renderer.render(inner, true, '\0').shown;
  }

  Span code(std::string_view text, std::size_t at, bool line_ended, std::size_t& next) {
    auto run = run_length(text, at);
    auto close = code_closer(text, at, run);
    if (close == kNone) return line_ended ? Span::literal : Span::wait;
    if (close + run == text.size() && !line_ended) return Span::wait;  // the closing run may grow
    auto content = text.substr(at + run, close - at - run);
    if (content.size() >= 2 && content.front() == ' ' && content.back() == ' ' &&
        content.find_first_not_of(' ') != std::string_view::npos)
      content = content.substr(1, content.size() - 2);
    style(kCodeOn);
    literal_ += content;
    style(kColorOff);
    next = close + run;
    return Span::decided;
  }

  Span emphasis(std::string_view text, std::size_t at, bool line_ended, char before, std::size_t& next) {
    char marker = text[at];
    auto run = run_length(text, at);
    if (at + run == text.size()) return line_ended ? Span::literal : Span::wait;
    if (run > 3 || is_space(text[at + run]) || (marker == '_' && is_word(before))) return Span::literal;
    auto close = emphasis_closer(text, at, run, line_ended);
    if (close == kNone) return line_ended ? Span::literal : Span::wait;
    bool bold = run >= 2 && !bold_line_;
    bool italic = run != 2;
    if (bold) style(kBoldOn);
    if (italic) style(kItalicOn);
    nested(text.substr(at + run, close - at - run));
    if (italic) style(kItalicOff);
    if (bold) style(kBoldOff);
    next = close + run;
    return Span::decided;
  }

  Span link(std::string_view text, std::size_t at, bool line_ended, std::size_t& next) {
    auto undecided = line_ended ? Span::literal : Span::wait;
    auto close = bracket_closer(text, at);
    if (close == kNone) return undecided;
    if (close + 1 == text.size()) return undecided;
    if (text[close + 1] != '(') return Span::literal;
    int depth = 0;
    std::size_t end = close + 1;
    for (; end < text.size(); ++end) {
      if (is_space(text[end])) return Span::literal;
      if (text[end] == '(') ++depth;
      if (text[end] == ')' && --depth == 0) break;
    }
    if (end == text.size()) return undecided;
    auto label = text.substr(at + 1, close - at - 1);
    auto url = text.substr(close + 2, end - close - 2);
    style(kUnderlineOn);
    nested(label.empty() ? url : label);
    style(kUnderlineOff);
    if (!label.empty() && label != url) {
      literal_ += " (";
      style(kUrlOn);
      literal_ += url;
      style(kColorOff);
      literal_ += ")";
    }
    next = end + 1;
    return Span::decided;
  }

  bool bold_line_;
  std::string out_;
  std::string literal_;  // model text not yet escaped into out_
};

}  // namespace

InlineRender render_inline(std::string_view text, bool line_ended, bool bold_line, char before) {
  return Renderer(bold_line).render(text, line_ended, before);
}

std::size_t shown_width(std::string_view shown) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    if (shown[i] == '\033') {
      // CSI: ESC [ parameters, then one final byte in @..~
      i += 1;
      while (i + 1 < shown.size() && !(shown[i + 1] >= '@' && shown[i + 1] <= '~')) ++i;
      ++i;
      continue;
    }
    if ((static_cast<unsigned char>(shown[i]) & 0xC0) != 0x80) ++width;
  }
  return width;
}

}  // namespace weir::cli
