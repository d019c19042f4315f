#include "cli/markdown_stream.hpp"

#include <algorithm>

#include "cli/markdown_inline.hpp"
#include "cli/markdown_table.hpp"

namespace weir::cli {

namespace {
constexpr std::string_view kBold = "\033[1m";
constexpr std::string_view kPlain = "\033[0m";
constexpr std::string_view kFence = "```";
constexpr std::string_view kQuoteBar = "\033[2m▎\033[22m ";
constexpr std::string_view kBullets[] = {"•", "◦", "▪"};
constexpr std::size_t kMaxRule = 80;

bool is_prefix_of(std::string_view text, std::string_view whole) {
  return text.size() <= whole.size() && whole.substr(0, text.size()) == text;
}

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// "#" to "######", then a space: a heading; hashes alone: not known yet.
enum class Heading { no, maybe, yes };
Heading heading_state(std::string_view text) {
  std::size_t hashes = 0;
  while (hashes < text.size() && text[hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return Heading::no;
  if (hashes == text.size()) return Heading::maybe;
  return text[hashes] == ' ' ? Heading::yes : Heading::no;
}

std::string top_edge(std::string_view info) {
  auto language = escape_controls(trim(info));
  return "┌─" + (language.empty() ? std::string("──") : " " + language + " ") + "────\n";
}

std::string repeat(std::string_view piece, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += piece;
  return out;
}

// The columns an indentation takes (a tab to the next multiple of 4).
std::size_t indent_columns(std::string_view indent) {
  std::size_t columns = 0;
  for (char c : indent) columns = c == '\t' ? (columns / 4 + 1) * 4 : columns + 1;
  return columns;
}
}  // namespace

std::string MarkdownStream::flush_table() {
  if (table_.empty()) return {};
  auto out = render_table(table_);
  table_.clear();
  return out;
}

std::string MarkdownStream::decide(bool ended) {
  std::string out;
  auto indent = held_.find_first_not_of(" \t");
  if (indent == std::string::npos) {
    if (!ended) return out;  // only indentation so far
    if (!in_fence_) out += flush_table();
    line_ = in_fence_ ? Line::code : Line::text;
    if (in_fence_) out += "│ ";
    held_.clear();
    return out;
  }
  std::string_view line = held_;
  std::string_view text = line.substr(indent);
  if (is_prefix_of(text, kFence) && !ended) return out;  // "`" or "``": wait
  bool fence = text.substr(0, std::min(text.size(), kFence.size())) == kFence;
  if (fence && !ended) return out;  // the info string runs to the end of the line
  if (in_fence_) {
    if (fence && trim(text.substr(kFence.size())).empty()) {
      out = "└──────\n";
      in_fence_ = false;
      line_ = Line::fence_marker;
    } else {
      out = "│ ";
      pending_ = held_;
      line_ = Line::code;
    }
    held_.clear();
    return out;
  }
  if (text.front() != '|') out += flush_table();
  if (fence) {
    out += top_edge(text.substr(kFence.size()));
    in_fence_ = true;
    line_ = Line::fence_marker;
    held_.clear();
    return out;
  }
  if (text.front() == '|') {
    line_ = Line::table_row;  // held whole, until the table ends
    return out;
  }
  char first = text.front();
  if (auto heading = heading_state(text); heading != Heading::no) {
    if (heading == Heading::maybe && !ended) return out;
    if (heading == Heading::yes) {
      out += kBold;
      bold_line_ = true;
    }
    pending_ = held_;
  } else if (first == '>') {
    std::size_t at = 0;
    std::size_t levels = 0;
    while (at < text.size() && text[at] == '>') {
      ++levels;
      ++at;
      if (at < text.size() && text[at] == ' ') ++at;
    }
    if (at == text.size() && !ended) return out;  // "> >" may go on
    out += std::string(line.substr(0, indent)) + repeat(kQuoteBar, levels);
    pending_ = text.substr(at);
  } else if (first == '-' || first == '*' || first == '_' || first == '+') {
    bool only_marks = text.find_first_not_of(std::string{first} + " \t") == std::string_view::npos;
    if (only_marks && !ended) return out;  // "-", "- -", "---": a rule or a bullet?
    if (only_marks && first != '+' && std::count(text.begin(), text.end(), first) >= 3) {
      out += repeat("─", std::min(columns_, kMaxRule));
    } else if (first != '_' && text.size() >= 2 && (text[1] == ' ' || text[1] == '\t')) {
      auto level = indent_columns(line.substr(0, indent)) / 2;
      out += std::string(line.substr(0, indent)) + std::string(kBullets[level % std::size(kBullets)]) + " ";
      pending_ = text.substr(2);
    } else {
      pending_ = held_;
    }
  } else {
    pending_ = held_;
  }
  line_ = Line::text;
  held_.clear();
  return out;
}

std::string MarkdownStream::show_pending(bool ended) {
  if (pending_.empty()) return {};
  if (line_ == Line::code) {
    auto ready = ended ? pending_.size() : escapable_prefix(pending_);
    auto out = escape_controls(std::string_view(pending_).substr(0, ready));
    pending_.erase(0, ready);
    return out;
  }
  if (line_ != Line::text) return {};
  auto rendered = render_inline(pending_, ended, bold_line_, before_);
  if (rendered.consumed > 0) before_ = pending_[rendered.consumed - 1];
  pending_.erase(0, rendered.consumed);
  return rendered.shown;
}

std::string MarkdownStream::end_line() {
  std::string out;
  if (line_ == Line::undecided) out += decide(true);
  if (line_ == Line::table_row) {
    table_.push_back(std::move(held_));
    held_.clear();
  } else {
    out += show_pending(true);
    if (bold_line_) out += kPlain;
    if (line_ != Line::fence_marker) out += '\n';
  }
  line_ = Line::undecided;
  bold_line_ = false;
  before_ = '\0';
  return out;
}

std::string MarkdownStream::feed(std::string_view text) {
  if (style_ == AnswerStyle::verbatim) return std::string(text);
  if (style_ == AnswerStyle::escaped) return escaper_.feed(text);
  std::string out;
  for (char character : text) {
    if (character == '\n') {
      out += end_line();
      continue;
    }
    switch (line_) {
      case Line::undecided:
        held_ += character;
        out += decide(false);
        break;
      case Line::table_row:
        held_ += character;
        break;
      case Line::code:
      case Line::text:
        pending_ += character;
        break;
      case Line::fence_marker:
        break;
    }
  }
  return out + show_pending(false);
}

std::string MarkdownStream::finish() {
  if (style_ == AnswerStyle::verbatim) return {};
  if (style_ == AnswerStyle::escaped) return escaper_.finish();
  std::string out;
  if (line_ == Line::undecided && !held_.empty()) out += decide(true);
  if (line_ == Line::table_row) {
    table_.push_back(std::move(held_));
    held_.clear();
  }
  out += show_pending(true);
  if (bold_line_) out += kPlain;
  // An unfinished line stays unfinished (the caller ends it), unless the
  // frame of an unclosed code block must follow it.
  if (in_fence_ && line_ == Line::code) out += '\n';
  out += flush_table();
  if (in_fence_) out += "└──────\n";
  in_fence_ = false;
  line_ = Line::undecided;
  bold_line_ = false;
  before_ = '\0';
  return out;
}

}  // namespace weir::cli
