#include "core/rag/chunker.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>

namespace weir {

namespace {

// A word is charged one token per started six bytes rather than one token
// flat: real tokenizers cut long words too, and an unbroken run (base64,
// minified code, CJK text without spaces) would otherwise count as a single
// token and blow the embedder's context. Counting bytes rather than code
// points charges CJK (three bytes a character) about two characters a token,
// near what tokenizers do.
constexpr std::size_t kBytesPerToken = 6;
constexpr std::string_view kPathSeparator = " > ";
constexpr std::string_view kTruncationMark = "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// Full-width sentence ends need no following space: CJK text has none.
constexpr std::string_view kWideSentenceEnds[] = {"\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F"};

bool is_space(char character) {
  return character == ' ' || character == '\t' || character == '\n' || character == '\v' ||
         character == '\f' || character == '\r';
}

bool is_continuation_byte(char character) {
  return (static_cast<unsigned char>(character) & 0xC0) == 0x80;
}

// Emphasis and quotes may close a sentence after its full stop ("**Done.**").
bool is_sentence_closer(char character) {
  return character == '"' || character == '\'' || character == ')' || character == ']' ||
         character == '*' || character == '_';
}

std::size_t word_tokens(std::size_t bytes) { return (bytes + kBytesPerToken - 1) / kBytesPerToken; }

std::size_t estimate_tokens(std::string_view text) {
  std::size_t tokens = 0;
  std::size_t run = 0;
  for (char character : text) {
    if (is_space(character)) {
      tokens += word_tokens(run);
      run = 0;
    } else {
      ++run;
    }
  }
  return tokens + word_tokens(run);
}

std::string_view trim_left(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size() && is_space(text[begin])) ++begin;
  return text.substr(begin);
}

std::string_view trim_right(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  return text.substr(0, end);
}

std::string_view trim(std::string_view text) { return trim_right(trim_left(text)); }

bool is_blank(std::string_view line) { return trim_left(line).empty(); }

// Length of the well-formed UTF-8 sequence starting at `offset`, or 0 when the
// bytes there are not one (stray continuation, overlong form, surrogate, or a
// sequence cut short).
std::size_t utf8_sequence_length(std::string_view text, std::size_t offset) {
  const auto lead = static_cast<unsigned char>(text[offset]);
  std::size_t length = 0;
  unsigned char second_low = 0x80;
  unsigned char second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3;
    second_low = 0xA0;
  } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    length = 3;
  } else if (lead == 0xED) {
    length = 3;
    second_high = 0x9F;
  } else if (lead == 0xF0) {
    length = 4;
    second_low = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4;
    second_high = 0x8F;
  } else {
    return 0;
  }
  if (offset + length > text.size()) return 0;
  const auto second = static_cast<unsigned char>(text[offset + 1]);
  if (second < second_low || second > second_high) return 0;
  for (std::size_t index = 2; index < length; ++index)
    if (!is_continuation_byte(text[offset + index])) return 0;
  return length;
}

void end_line(std::string& output) {
  // Trailing blanks carry no meaning for retrieval, and dropping them here
  // makes whitespace-only lines plain empty lines for the parser.
  while (!output.empty() && (output.back() == ' ' || output.back() == '\t')) output.pop_back();
  output.push_back('\n');
}

// One pass that makes every later step simpler: "\r\n" and lone "\r" become
// "\n", a leading byte-order mark goes, and malformed UTF-8 becomes U+FFFD so
// that every chunk is valid UTF-8 whatever the file held.
std::string normalize(std::string_view input) {
  if (input.starts_with(kByteOrderMark)) input.remove_prefix(kByteOrderMark.size());
  std::string output;
  output.reserve(input.size() + 1);
  std::size_t offset = 0;
  while (offset < input.size()) {
    const char character = input[offset];
    if (static_cast<unsigned char>(character) < 0x80) {
      if (character == '\r') {
        end_line(output);
        offset += offset + 1 < input.size() && input[offset + 1] == '\n' ? 2 : 1;
      } else if (character == '\n') {
        end_line(output);
        ++offset;
      } else {
        output.push_back(character);
        ++offset;
      }
      continue;
    }
    const std::size_t length = utf8_sequence_length(input, offset);
    if (length == 0) {
      output.append(kReplacementCharacter);
      ++offset;
    } else {
      output.append(input.substr(offset, length));
      offset += length;
    }
  }
  end_line(output);
  return output;
}

bool ends_sentence(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && is_sentence_closer(text[end - 1])) --end;
  if (end == 0) return false;
  const char last = text[end - 1];
  if (last == '.' || last == '!' || last == '?') return true;
  const std::string_view head = text.substr(0, end);
  return std::any_of(std::begin(kWideSentenceEnds), std::end(kWideSentenceEnds),
                     [&](std::string_view stop) { return head.ends_with(stop); });
}

template <typename Callback>
void for_each_sentence(std::string_view text, Callback&& callback) {
  std::size_t sentence_begin = 0;
  auto deliver = [&](std::size_t end) {
    const std::string_view sentence = trim(text.substr(sentence_begin, end - sentence_begin));
    if (!sentence.empty()) callback(sentence);
    sentence_begin = end;
  };
  for (std::size_t offset = 0; offset < text.size(); ++offset) {
    const char character = text[offset];
    std::size_t after = 0;
    if (character == '.' || character == '!' || character == '?') {
      after = offset + 1;
      while (after < text.size() && is_sentence_closer(text[after])) ++after;
      // "3.14", "e.g.," and "..." mid-sentence are not ends: a space must follow.
      if (after < text.size() && !is_space(text[after])) after = 0;
    } else if (static_cast<unsigned char>(character) >= 0x80) {
      const std::string_view rest = text.substr(offset);
      for (std::string_view stop : kWideSentenceEnds)
        if (rest.starts_with(stop)) after = offset + stop.size();
      while (after != 0 && after < text.size() && is_sentence_closer(text[after])) ++after;
    }
    if (after != 0) {
      deliver(after);
      offset = after - 1;
    }
  }
  deliver(text.size());
}

// Lines keep their leading blanks when `keep_indent` is set: indentation is
// meaning in code.
template <typename Callback>
void for_each_line(std::string_view text, bool keep_indent, Callback&& callback) {
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    const std::string_view kept = keep_indent ? trim_right(line) : trim(line);
    if (!trim_left(kept).empty()) callback(kept);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
}

template <typename Callback>
void for_each_word(std::string_view text, Callback&& callback) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    while (offset < text.size() && is_space(text[offset])) ++offset;
    const std::size_t word_begin = offset;
    while (offset < text.size() && !is_space(text[offset])) ++offset;
    if (offset > word_begin) callback(text.substr(word_begin, offset - word_begin));
  }
}

// Runs of consecutive non-blank lines, the first keeping its indentation.
template <typename Callback>
void for_each_line_group(std::string_view text, Callback&& callback) {
  std::size_t group_begin = std::string_view::npos;
  std::size_t group_end = 0;
  std::size_t line_begin = 0;
  while (line_begin <= text.size()) {
    std::size_t line_end = text.find('\n', line_begin);
    if (line_end == std::string_view::npos) line_end = text.size();
    if (is_blank(text.substr(line_begin, line_end - line_begin))) {
      if (group_begin != std::string_view::npos)
        callback(text.substr(group_begin, group_end - group_begin));
      group_begin = std::string_view::npos;
    } else {
      if (group_begin == std::string_view::npos) group_begin = line_begin;
      group_end = line_end;
    }
    line_begin = line_end + 1;
  }
  if (group_begin != std::string_view::npos)
    callback(text.substr(group_begin, group_end - group_begin));
}

// ---------------------------------------------------------------------------
// Document structure

enum class BlockKind { prose, fence };

struct Block {
  BlockKind kind = BlockKind::prose;
  std::string_view text;
  // Fences only: a fence too large for one chunk is cut between lines and each
  // piece is wrapped again in the fence lines so it still reads as code.
  std::string_view opening_line;
  std::string_view marker;
  std::string_view body;
};

struct Section {
  std::string heading;     // the heading path as shown in chunks
  std::string_view title;  // the section's own title, empty for the preamble
  std::size_t first_block = 0;
  std::size_t end_block = 0;
};

struct Document {
  std::vector<Section> sections;
  std::vector<Block> blocks;
};

// The titles of the enclosing headings, rendered as "Install > Debian". A path
// may take at most half the budget: beyond that it is cut at a word and marked
// with an ellipsis, so a runaway heading cannot leave no room for the text.
class HeadingPath {
 public:
  explicit HeadingPath(std::size_t budget) : budget_(budget) {}

  void enter(int level, std::string_view title) {
    while (!levels_.empty() && levels_.back().level >= level) levels_.pop_back();
    std::string collapsed;
    for_each_word(title, [&](std::string_view word) {
      if (!collapsed.empty()) collapsed.push_back(' ');
      collapsed.append(word);
    });
    const std::size_t tokens = estimate_tokens(collapsed);
    // Words past this many bytes cost more than the whole budget, so they can
    // never be shown; dropping them keeps a runaway heading from being
    // rescanned for each of its subsections.
    const std::size_t shown_limit = (budget_ + 1) * (kBytesPerToken + 1);
    const bool shortened = collapsed.size() > shown_limit;
    if (shortened) {
      const std::size_t cut = collapsed.rfind(' ', shown_limit);
      collapsed.resize(cut == std::string::npos ? 0 : cut);
    }
    levels_.push_back({level, std::move(collapsed), tokens, shortened});
    render();
  }

  const std::string& text() const { return text_; }
  bool truncated() const { return truncated_; }

 private:
  struct Level {
    int level;
    std::string title;   // possibly without words too far out to be shown
    std::size_t tokens;  // of the whole title; 0 for an empty one
    bool shortened;      // words were dropped from `title`
  };

  void render() {
    text_.clear();
    truncated_ = false;
    std::size_t total = 0;
    bool first = true;
    for (const Level& entry : levels_) {
      if (entry.tokens == 0) continue;
      total += entry.tokens + (first ? 0 : 1);
      first = false;
    }
    if (total <= budget_) {
      for (const Level& entry : levels_) {
        if (entry.tokens == 0) continue;
        if (!text_.empty()) text_.append(kPathSeparator);
        text_.append(entry.title);
      }
      return;
    }
    truncated_ = true;
    // Only whole words are kept, and the ellipsis must fit as well; the cut
    // words are not lost, the section repeats its own title in its body.
    const std::size_t mark_tokens = estimate_tokens(kTruncationMark);
    std::size_t used = 0;
    bool full = false;
    for (const Level& entry : levels_) {
      if (entry.tokens == 0 || full) continue;
      bool first_word = true;
      for_each_word(entry.title, [&](std::string_view word) {
        if (full) return;
        const bool separated = first_word && !text_.empty();
        const std::size_t cost = word_tokens(word.size()) + (separated ? 1 : 0);
        if (used + cost + mark_tokens > budget_) {
          full = true;
          return;
        }
        if (separated) {
          text_.append(kPathSeparator);
        } else if (!first_word) {
          text_.push_back(' ');
        }
        text_.append(word);
        used += cost;
        first_word = false;
      });
      // The dropped words could not have fitted, so nothing deeper can show.
      full = full || entry.shortened;
    }
    if (!text_.empty()) {
      text_.push_back(' ');
      text_.append(kTruncationMark);
    }
  }

  std::size_t budget_;
  std::vector<Level> levels_;
  std::string text_;
  bool truncated_ = false;
};

struct AtxHeading {
  int level;
  std::string_view title;
};

std::size_t indentation(std::string_view line) {
  std::size_t spaces = 0;
  while (spaces < line.size() && line[spaces] == ' ') ++spaces;
  return spaces;
}

std::optional<AtxHeading> parse_atx_heading(std::string_view line) {
  const std::size_t begin = indentation(line);
  if (begin > 3) return std::nullopt;
  std::size_t hashes = 0;
  while (begin + hashes < line.size() && line[begin + hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return std::nullopt;
  std::string_view rest = line.substr(begin + hashes);
  // "#hashtag" and "#include" are text, not headings.
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return std::nullopt;
  rest = trim(rest);
  std::size_t content_end = rest.size();
  while (content_end > 0 && rest[content_end - 1] == '#') --content_end;
  if (content_end == 0) {
    rest = {};
  } else if (is_space(rest[content_end - 1])) {
    rest = trim_right(rest.substr(0, content_end));
  }
  return AtxHeading{static_cast<int>(hashes), rest};
}

struct FenceOpening {
  char character;
  std::size_t length;
  std::string_view line;    // without its indentation
  std::string_view marker;  // the run of backticks or tildes
};

std::optional<FenceOpening> parse_fence_opening(std::string_view line) {
  const std::size_t begin = indentation(line);
  if (begin > 3 || begin >= line.size()) return std::nullopt;
  const char character = line[begin];
  if (character != '`' && character != '~') return std::nullopt;
  std::size_t length = 0;
  while (begin + length < line.size() && line[begin + length] == character) ++length;
  if (length < 3) return std::nullopt;
  // ```like this``` on one line is inline code, not a fence.
  if (character == '`' && line.find('`', begin + length) != std::string_view::npos)
    return std::nullopt;
  return FenceOpening{character, length, line.substr(begin), line.substr(begin, length)};
}

bool closes_fence(std::string_view line, const FenceOpening& fence) {
  const std::size_t begin = indentation(line);
  if (begin > 3) return false;
  std::size_t length = 0;
  while (begin + length < line.size() && line[begin + length] == fence.character) ++length;
  return length >= fence.length && is_blank(line.substr(begin + length));
}

// Setext underlines: "===" makes a level-1 heading, "---" a level-2 one. Three
// characters at least, so a stray "--" in plain text stays text.
int setext_level(std::string_view line) {
  const std::size_t begin = indentation(line);
  if (begin > 3) return 0;
  const std::string_view rest = trim_right(line.substr(begin));
  if (rest.size() < 3) return 0;
  const char character = rest.front();
  if (character != '=' && character != '-') return 0;
  if (rest.find_first_not_of(character) != std::string_view::npos) return 0;
  return character == '=' ? 1 : 2;
}

class Parser {
 public:
  Parser(std::string_view text, bool markdown, std::size_t heading_budget)
      : text_(text), markdown_(markdown), path_(heading_budget) {}

  Document parse() {
    document_.sections.push_back({});
    std::size_t line_begin = 0;
    while (line_begin < text_.size()) {
      std::size_t line_end = text_.find('\n', line_begin);
      if (line_end == std::string_view::npos) line_end = text_.size();
      take_line(line_begin, line_end);
      line_begin = line_end + 1;
    }
    if (fence_) {
      // An unclosed fence runs to the end of the file, as in CommonMark.
      const std::string_view body =
          fence_body_begin_ < text_.size() ? text_.substr(fence_body_begin_) : std::string_view{};
      add_fence(trim_right(text_.substr(fence_begin_)), trim_right(body));
    }
    flush_paragraph();
    document_.sections.back().end_block = document_.blocks.size();
    return std::move(document_);
  }

 private:
  void take_line(std::size_t line_begin, std::size_t line_end) {
    const std::string_view line = text_.substr(line_begin, line_end - line_begin);
    if (fence_) {
      if (closes_fence(line, *fence_)) {
        add_fence(text_.substr(fence_begin_, line_end - fence_begin_),
                  trim_right(text_.substr(fence_body_begin_, line_begin - fence_body_begin_)));
      }
      return;
    }
    if (is_blank(line)) {
      flush_paragraph();
      return;
    }
    if (markdown_) {
      if (const auto heading = parse_atx_heading(line)) {
        flush_paragraph();
        start_section(heading->level, heading->title);
        return;
      }
      if (const auto opening = parse_fence_opening(line)) {
        flush_paragraph();
        fence_ = opening;
        fence_begin_ = line_begin + indentation(line);
        fence_body_begin_ = line_end + 1;
        return;
      }
      // Only a one-line paragraph becomes a setext heading: a "---" under a
      // longer paragraph is more often a rule or front matter than a title.
      if (paragraph_lines_ == 1) {
        if (const int level = setext_level(line)) {
          const std::string_view title =
              trim(text_.substr(paragraph_begin_, paragraph_end_ - paragraph_begin_));
          paragraph_lines_ = 0;
          start_section(level, title);
          return;
        }
      }
    }
    if (paragraph_lines_ == 0) paragraph_begin_ = line_begin;
    paragraph_end_ = line_end;
    ++paragraph_lines_;
  }

  void flush_paragraph() {
    if (paragraph_lines_ == 0) return;
    Block block;
    block.text = trim(text_.substr(paragraph_begin_, paragraph_end_ - paragraph_begin_));
    document_.blocks.push_back(block);
    paragraph_lines_ = 0;
  }

  void add_fence(std::string_view text, std::string_view body) {
    Block block;
    block.kind = BlockKind::fence;
    block.text = text;
    block.opening_line = fence_->line;
    block.marker = fence_->marker;
    block.body = body;
    document_.blocks.push_back(block);
    fence_.reset();
  }

  void start_section(int level, std::string_view title) {
    document_.sections.back().end_block = document_.blocks.size();
    path_.enter(level, title);
    Section section;
    section.heading = path_.text();
    section.title = title;
    section.first_block = document_.blocks.size();
    // A title cut from the path would be unsearchable; its words go in the body.
    if (path_.truncated() && !title.empty()) {
      Block block;
      block.text = title;
      document_.blocks.push_back(block);
    }
    document_.sections.push_back(std::move(section));
  }

  std::string_view text_;
  bool markdown_;
  HeadingPath path_;
  Document document_;
  std::size_t paragraph_begin_ = 0;
  std::size_t paragraph_end_ = 0;
  std::size_t paragraph_lines_ = 0;
  std::optional<FenceOpening> fence_;
  std::size_t fence_begin_ = 0;
  std::size_t fence_body_begin_ = 0;
};

// ---------------------------------------------------------------------------
// Packing

// The smallest unit the packer moves: a whole paragraph or fence when it fits
// the budget, otherwise a sentence, a line, a word or a slice of a word.
// Atoms point into the normalized text, so consecutive atoms of one block are
// joined by copying the source between them, keeping its line breaks.
struct Atom {
  std::string_view text;
  std::size_t tokens = 0;
  const Block* block = nullptr;
  bool prose = true;
  bool wrapped = false;  // a piece of a split fence, shown inside its fence lines
  std::size_t wrap_tokens = 0;
};

enum class Boundary { sentence, line, word, code_point };

class AtomBuilder {
 public:
  AtomBuilder(std::vector<Atom>& atoms, const Block& block, bool prose, std::size_t wrap_tokens)
      : atoms_(atoms), block_(block), prose_(prose), wrap_tokens_(wrap_tokens) {}

  // Cuts `text` at the coarsest boundary that brings every piece within
  // `budget`. Each level rescans only its own piece, so the whole is linear.
  void split(std::string_view text, Boundary boundary, std::size_t budget) {
    const std::size_t tokens = estimate_tokens(text);
    if (tokens <= budget) {
      add(text, tokens);
      return;
    }
    switch (boundary) {
      case Boundary::sentence:
        for_each_sentence(text, [&](std::string_view sentence) {
          split(sentence, Boundary::line, budget);
        });
        break;
      case Boundary::line:
        for_each_line(text, !prose_, [&](std::string_view line) {
          split(line, Boundary::word, budget);
        });
        break;
      case Boundary::word:
        for_each_word(text, [&](std::string_view word) {
          split(word, Boundary::code_point, budget);
        });
        break;
      case Boundary::code_point:
        split_run(text, budget);
        break;
    }
  }

 private:
  void split_run(std::string_view run, std::size_t budget) {
    const std::size_t slice_bytes = budget * kBytesPerToken;
    while (!run.empty()) {
      std::size_t length = std::min(slice_bytes, run.size());
      while (length < run.size() && length > 0 && is_continuation_byte(run[length])) --length;
      if (length == 0) {
        // A budget too small for one character still has to move forward.
        length = 1;
        while (length < run.size() && is_continuation_byte(run[length])) ++length;
      }
      add(run.substr(0, length), word_tokens(length));
      run.remove_prefix(length);
    }
  }

  void add(std::string_view text, std::size_t tokens) {
    Atom atom;
    atom.text = text;
    atom.tokens = tokens;
    atom.block = &block_;
    atom.prose = prose_;
    atom.wrapped = wrap_tokens_ > 0;
    atom.wrap_tokens = wrap_tokens_;
    atoms_.push_back(atom);
  }

  std::vector<Atom>& atoms_;
  const Block& block_;
  bool prose_;
  std::size_t wrap_tokens_;
};

void build_atoms(const Block& block, std::size_t budget, std::vector<Atom>& atoms) {
  if (block.kind == BlockKind::prose) {
    AtomBuilder(atoms, block, true, 0).split(block.text, Boundary::sentence, budget);
    return;
  }
  const std::size_t tokens = estimate_tokens(block.text);
  if (tokens <= budget) {
    AtomBuilder(atoms, block, false, 0).split(block.text, Boundary::line, budget);
    return;
  }
  // Re-wrapping pays the fence lines once per piece; when they are themselves
  // huge, plain lines are the lesser evil.
  const std::size_t wrap_tokens = estimate_tokens(block.opening_line) + estimate_tokens(block.marker);
  const bool wrap = wrap_tokens <= budget / 2;
  AtomBuilder builder(atoms, block, false, wrap ? wrap_tokens : 0);
  const std::size_t group_budget = wrap ? budget - wrap_tokens : budget;
  // Blank lines in code separate its steps or functions, as they separate
  // paragraphs in prose: cut there first, then between lines.
  for_each_line_group(wrap ? block.body : block.text, [&](std::string_view group) {
    builder.split(group, Boundary::line, group_budget);
  });
}

struct Position {
  std::size_t atom = 0;
  std::size_t offset = 0;  // bytes of the atom already left behind
};

struct Overlap {
  Position start;
  std::size_t tokens = 0;
};

struct Suffix {
  std::size_t offset;
  std::size_t tokens;
};

// "- item", "* item", "+ item", "1. item", "2) item".
bool is_list_marker(std::string_view word) {
  if (word == "-" || word == "*" || word == "+") return true;
  if (word.size() < 2 || (word.back() != '.' && word.back() != ')')) return false;
  return std::all_of(word.begin(), word.end() - 1,
                     [](char character) { return character >= '0' && character <= '9'; });
}

// The longest tail of `text` worth at most `room` tokens. Prose tails start at
// a word; one starting a sentence or a list item is preferred when it still
// gives at least half the wanted overlap. Code tails start at a line, with
// its indentation, or not at all. A line break alone is no boundary: most
// Markdown prose is hard-wrapped.
Suffix overlap_suffix(std::string_view text, bool code, std::size_t room, std::size_t already,
                      std::size_t limit) {
  Suffix by_word{text.size(), 0};
  Suffix aligned{text.size(), 0};
  std::size_t tokens = 0;
  std::size_t word_end = trim_right(text).size();
  while (word_end > 0) {
    std::size_t word_begin = word_end;
    while (word_begin > 0 && !is_space(text[word_begin - 1])) --word_begin;
    tokens += word_tokens(word_end - word_begin);
    if (tokens > room) break;
    by_word = {word_begin, tokens};
    std::size_t previous_end = word_begin;
    std::size_t line_begin = std::string_view::npos;
    while (previous_end > 0 && is_space(text[previous_end - 1])) {
      if (text[previous_end - 1] == '\n' && line_begin == std::string_view::npos)
        line_begin = previous_end;
      --previous_end;
    }
    if (code) {
      if (line_begin != std::string_view::npos) aligned = {line_begin, tokens};
    } else if (previous_end == 0 || ends_sentence(text.substr(0, previous_end)) ||
               (line_begin != std::string_view::npos &&
                is_list_marker(text.substr(word_begin, word_end - word_begin)))) {
      aligned = {word_begin, tokens};
    }
    word_end = previous_end;
  }
  if (code || (already + aligned.tokens) * 2 >= limit) return aligned;
  return by_word;
}

// The tail of the previous chunk (which began at `floor`) to repeat before the
// atom `next`, worth at most `limit` tokens. Whole atoms are taken first; the
// first one that does not fit may give a tail if it is prose or a piece of a
// re-wrapped fence. A fence shown whole is never cut: half a fence, with no
// fence lines, is worse than none.
Overlap find_overlap(const std::vector<Atom>& atoms, Position floor, std::size_t next,
                     std::size_t limit) {
  Overlap overlap{{next, 0}, 0};
  const Block* wrapped_block = nullptr;
  for (std::size_t index = next; index-- > floor.atom;) {
    const Atom& atom = atoms[index];
    const std::size_t skipped = index == floor.atom ? floor.offset : 0;
    const std::string_view text = atom.text.substr(skipped);
    const std::size_t tokens = skipped == 0 ? atom.tokens : estimate_tokens(text);
    const std::size_t wrap = atom.wrapped && atom.block != wrapped_block ? atom.wrap_tokens : 0;
    if (overlap.tokens + tokens + wrap <= limit) {
      overlap.tokens += tokens + wrap;
      overlap.start = {index, skipped};
      if (atom.wrapped) wrapped_block = atom.block;
      continue;
    }
    if (atom.prose || (atom.wrapped && overlap.tokens + wrap < limit)) {
      const Suffix suffix =
          overlap_suffix(text, !atom.prose, limit - overlap.tokens - wrap, overlap.tokens, limit);
      if (suffix.tokens > 0) {
        overlap.start = {index, skipped + suffix.offset};
        overlap.tokens += suffix.tokens + wrap;
      }
    }
    break;
  }
  return overlap;
}

std::string render_chunk(const std::string& heading, const std::vector<Atom>& atoms, Position start,
                         std::size_t end) {
  std::string text = heading;
  if (!text.empty()) text.push_back('\n');
  bool first_run = true;
  std::size_t index = start.atom;
  while (index < end) {
    const Atom& first = atoms[index];
    std::size_t last = index;
    while (last + 1 < end && atoms[last + 1].block == first.block) ++last;
    const char* run_begin = first.text.data() + (index == start.atom ? start.offset : 0);
    const char* run_end = atoms[last].text.data() + atoms[last].text.size();
    const std::string_view run(run_begin, static_cast<std::size_t>(run_end - run_begin));
    if (!first_run) text.append("\n\n");
    first_run = false;
    if (first.wrapped) {
      text.append(first.block->opening_line);
      text.push_back('\n');
      text.append(run);
      text.push_back('\n');
      text.append(first.block->marker);
    } else {
      text.append(run);
    }
    index = last + 1;
  }
  return text;
}

struct Budget {
  std::size_t max_tokens;
  std::size_t overlap_tokens;
};

void pack_section(const Section& section, const std::vector<Atom>& atoms, const Budget& budget,
                  std::vector<Chunk>& chunks) {
  const std::size_t heading_tokens = estimate_tokens(section.heading);
  const std::size_t body_budget = budget.max_tokens - heading_tokens;
  // Overlap never takes more than half the room, so every chunk adds new text.
  const std::size_t overlap_limit = std::min(budget.overlap_tokens, body_budget / 2);
  std::size_t next = 0;
  Position previous_start;
  bool has_previous = false;
  while (next < atoms.size()) {
    Position start{next, 0};
    std::size_t tokens = heading_tokens;
    const Block* current_block = nullptr;
    if (has_previous && overlap_limit > 0) {
      // A large next atom squeezes the overlap rather than the budget.
      const std::size_t first_cost = atoms[next].tokens + atoms[next].wrap_tokens;
      const std::size_t room = body_budget > first_cost ? body_budget - first_cost : 0;
      const Overlap overlap = find_overlap(atoms, previous_start, next, std::min(overlap_limit, room));
      if (overlap.tokens > 0) {
        start = overlap.start;
        tokens += overlap.tokens;
        current_block = atoms[next - 1].block;
      }
    }
    std::size_t end = next;
    while (end < atoms.size()) {
      const Atom& atom = atoms[end];
      const std::size_t cost =
          atom.tokens + (atom.wrapped && atom.block != current_block ? atom.wrap_tokens : 0);
      if (end > next && tokens + cost > budget.max_tokens) break;
      tokens += cost;
      current_block = atom.block;
      ++end;
    }
    chunks.push_back({render_chunk(section.heading, atoms, start, end), section.heading});
    previous_start = start;
    next = end;
    has_previous = true;
  }
}

}  // namespace

std::vector<Chunk> chunk_text(std::string_view text, const ChunkOptions& options) {
  const Budget budget{
      options.max_tokens > 0 ? static_cast<std::size_t>(options.max_tokens) : 1,
      options.overlap_tokens > 0 ? static_cast<std::size_t>(options.overlap_tokens) : 0};
  const std::string normalized = normalize(text);
  const Document document = Parser(normalized, options.markdown, budget.max_tokens / 2).parse();

  std::vector<Chunk> chunks;
  std::vector<Atom> atoms;
  for (std::size_t index = 0; index < document.sections.size(); ++index) {
    const Section& section = document.sections[index];
    const std::size_t body_budget = budget.max_tokens - estimate_tokens(section.heading);
    atoms.clear();
    for (std::size_t block_index = section.first_block; block_index < section.end_block; ++block_index)
      build_atoms(document.blocks[block_index], body_budget, atoms);
    if (!atoms.empty()) {
      pack_section(section, atoms, budget, chunks);
      continue;
    }
    // A heading with no text of its own still names something worth finding,
    // unless the next section's path already repeats it ("A" before "A > B").
    if (section.title.empty() || section.heading.empty()) continue;
    const bool repeated_next =
        index + 1 < document.sections.size() && !document.sections[index + 1].title.empty() &&
        document.sections[index + 1].heading.starts_with(section.heading + std::string(kPathSeparator));
    if (!repeated_next) chunks.push_back({section.heading, section.heading});
  }
  return chunks;
}

}  // namespace weir
