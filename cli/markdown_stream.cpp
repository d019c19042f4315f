#include "cli/markdown_stream.hpp"

#include <algorithm>

namespace weir::cli {

namespace {
constexpr std::string_view kBold = "\033[1m";
constexpr std::string_view kPlain = "\033[0m";
constexpr std::string_view kFence = "```";

bool is_prefix_of(std::string_view text, std::string_view whole) {
  return text.size() <= whole.size() && whole.substr(0, text.size()) == text;
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
  std::string language(info);
  language.erase(0, std::min(language.find_first_not_of(" \t"), language.size()));
  language.erase(language.find_last_not_of(" \t\r") + 1);
  return "┌─" + (language.empty() ? std::string("──") : " " + language + " ") + "────\n";
}
}  // namespace

std::string MarkdownStream::decide(bool ended) {
  std::string out;
  std::string_view held = held_;
  if (is_prefix_of(held, kFence) && !ended) return out;  // "`" or "``": wait
  if (held.substr(0, std::min(held.size(), kFence.size())) == kFence) {
    if (!ended) return out;  // the info string runs to the end of the line
    out = in_fence_ ? "└──────\n" : top_edge(held.substr(kFence.size()));
    in_fence_ = !in_fence_;
    line_ = Line::fence_marker;
    held_.clear();
    return out;
  }
  if (in_fence_) {
    out = "│ " + held_;
    line_ = Line::plain;
  } else if (auto heading = heading_state(held); heading != Heading::no) {
    if (heading == Heading::maybe && !ended) return out;
    out = heading == Heading::yes ? std::string(kBold) + held_ : held_;
    line_ = heading == Heading::yes ? Line::heading : Line::plain;
  } else if ((held == "-" || held == "*") && !ended) {
    return out;
  } else if (held.size() >= 2 && (held[0] == '-' || held[0] == '*') && held[1] == ' ') {
    out = "• " + held_.substr(2);
    line_ = Line::plain;
  } else {
    out = held_;
    line_ = Line::plain;
  }
  held_.clear();
  return out;
}

std::string MarkdownStream::feed(std::string_view text) {
  if (!styled_) return std::string(text);
  std::string out;
  for (char character : text) {
    if (character == '\n') {
      if (line_ == Line::undecided) out += decide(true);
      if (line_ == Line::heading) out += kPlain;
      if (line_ != Line::fence_marker) out += '\n';
      line_ = Line::undecided;
      continue;
    }
    if (line_ != Line::undecided) {
      if (line_ != Line::fence_marker) out += character;
      continue;
    }
    held_ += character;
    out += decide(false);
  }
  return out;
}

std::string MarkdownStream::finish() {
  if (!styled_) return {};
  std::string out;
  if (line_ == Line::undecided && !held_.empty()) out += decide(true);
  if (line_ == Line::heading) out += kPlain;
  // An unfinished line stays unfinished (the caller ends it), unless the
  // frame of an unclosed code block must follow it.
  if (in_fence_ && line_ == Line::plain) out += '\n';
  line_ = Line::undecided;
  if (in_fence_) out += "└──────\n";
  in_fence_ = false;
  return out;
}

}  // namespace weir::cli
