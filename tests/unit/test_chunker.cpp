#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>
#include <cstddef>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/rag/chunker.hpp"

using namespace weir;

namespace {

bool is_space(char character) {
  return character == ' ' || character == '\t' || character == '\n' || character == '\v' ||
         character == '\f' || character == '\r';
}

// The estimate documented in chunker.hpp, restated independently: one token per
// started six bytes of each whitespace-separated word.
std::size_t tokens_of(std::string_view text) {
  std::size_t tokens = 0;
  std::size_t run = 0;
  for (char character : text) {
    if (is_space(character)) {
      tokens += (run + 5) / 6;
      run = 0;
    } else {
      ++run;
    }
  }
  return tokens + (run + 5) / 6;
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char character : text) {
    if (is_space(character)) {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word.push_back(character);
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no
// sequence cut short.
bool is_valid_utf8(std::string_view text) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    const auto lead = static_cast<unsigned char>(text[offset]);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead < 0x80) {
      ++offset;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead == 0xE0) {
      length = 3;
      low = 0xA0;
    } else if (lead == 0xED) {
      length = 3;
      high = 0x9F;
    } else if (lead >= 0xE1 && lead <= 0xEF) {
      length = 3;
    } else if (lead == 0xF0) {
      length = 4;
      low = 0x90;
    } else if (lead == 0xF4) {
      length = 4;
      high = 0x8F;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      length = 4;
    } else {
      return false;
    }
    if (offset + length > text.size()) return false;
    for (std::size_t index = 1; index < length; ++index) {
      const auto byte = static_cast<unsigned char>(text[offset + index]);
      const unsigned char minimum = index == 1 ? low : 0x80;
      const unsigned char maximum = index == 1 ? high : 0xBF;
      if (byte < minimum || byte > maximum) return false;
    }
    offset += length;
  }
  return true;
}

ChunkOptions options_with(int max_tokens, int overlap_tokens, bool markdown = true) {
  ChunkOptions options;
  options.max_tokens = max_tokens;
  options.overlap_tokens = overlap_tokens;
  options.markdown = markdown;
  return options;
}

// The chunk's text without its heading line. A heading with no text of its
// own is its own body.
std::string_view body_of(const Chunk& chunk) {
  std::string_view text = chunk.text;
  if (!chunk.heading.empty() && text != chunk.heading) {
    REQUIRE(text.starts_with(chunk.heading + "\n"));
    text.remove_prefix(chunk.heading.size() + 1);
  }
  return text;
}

// "Sentence 7 has words s7a s7b ... ." — every word unique, so a word found in
// a chunk says exactly where the chunk came from.
std::string numbered_sentence(int number, int words) {
  std::string sentence = "S" + std::to_string(number);
  for (int index = 1; index < words; ++index)
    sentence += " w" + std::to_string(number) + "x" + std::to_string(index);
  return sentence + ".";
}

std::string paragraph_of_sentences(int first, int count, int words) {
  std::string paragraph;
  for (int number = first; number < first + count; ++number) {
    if (!paragraph.empty()) paragraph += ' ';
    paragraph += numbered_sentence(number, words);
  }
  return paragraph;
}

bool same_chunks(const std::vector<Chunk>& left, const std::vector<Chunk>& right) {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index)
    if (left[index].text != right[index].text || left[index].heading != right[index].heading)
      return false;
  return true;
}

void check_chunks_well_formed(const std::vector<Chunk>& chunks, const ChunkOptions& options) {
  for (const Chunk& chunk : chunks) {
    CHECK_FALSE(body_of(chunk).empty());
    CHECK(is_valid_utf8(chunk.text));
    CHECK(is_valid_utf8(chunk.heading));
    CHECK(chunk.text.find('\r') == std::string::npos);
    CHECK(tokens_of(chunk.text) <= static_cast<std::size_t>(options.max_tokens));
  }
}

}  // namespace

TEST_CASE("chunker: empty and whitespace-only input give no chunks") {
  for (const char* input : {"", " ", "\n\n\n", " \t\r\n \r\n\t", "\xEF\xBB\xBF"}) {
    CAPTURE(input);
    CHECK(chunk_text(input, options_with(50, 10)).empty());
    CHECK(chunk_text(input, options_with(50, 10, false)).empty());
  }
}

TEST_CASE("chunker: small paragraphs are packed together under the budget") {
  const std::string input = "First paragraph here.\n\nSecond one.\n\nThird and last.\n";
  const auto chunks = chunk_text(input, options_with(50, 10));
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].text == "First paragraph here.\n\nSecond one.\n\nThird and last.");
  CHECK(chunks[0].heading.empty());
}

TEST_CASE("chunker: paragraphs that fit are never split across chunks") {
  std::string input;
  std::vector<std::string> paragraphs;
  for (int number = 0; number < 12; ++number) {
    paragraphs.push_back(paragraph_of_sentences(number * 10, 2, 6));  // 12 tokens each
    input += paragraphs.back() + "\n\n";
  }
  const ChunkOptions options = options_with(40, 0);
  const auto chunks = chunk_text(input, options);
  check_chunks_well_formed(chunks, options);
  CHECK(chunks.size() >= 4);
  for (const std::string& paragraph : paragraphs) {
    int holders = 0;
    for (const Chunk& chunk : chunks)
      if (chunk.text.find(paragraph) != std::string::npos) ++holders;
    CHECK(holders == 1);
  }
  // Packing is greedy: three 12-token paragraphs fit in 40 tokens.
  CHECK(chunks[0].text == paragraphs[0] + "\n\n" + paragraphs[1] + "\n\n" + paragraphs[2]);
}

TEST_CASE("chunker: heading paths nest and a shallower heading resets them") {
  const std::string input =
      "Preamble text.\n"
      "# Install\n"
      "Intro.\n"
      "## Debian ##\n"
      "Use apt.\n"
      "### Bookworm\n"
      "Backports.\n"
      "## Fedora\n"
      "Use dnf.\n"
      "# Usage\n"
      "Run it.\n"
      "\n"
      "Title\n"
      "=====\n"
      "Setext body.\n"
      "\n"
      "Sub\n"
      "---\n"
      "Setext sub body.\n";
  const auto chunks = chunk_text(input, options_with(100, 10));
  REQUIRE(chunks.size() == 8);
  const std::vector<std::string> expected_headings = {
      "", "Install", "Install > Debian", "Install > Debian > Bookworm", "Install > Fedora",
      "Usage", "Title", "Title > Sub"};
  for (std::size_t index = 0; index < chunks.size(); ++index)
    CHECK(chunks[index].heading == expected_headings[index]);
  CHECK(chunks[0].text == "Preamble text.");
  CHECK(chunks[2].text == "Install > Debian\nUse apt.");
  CHECK(chunks[3].text == "Install > Debian > Bookworm\nBackports.");
  CHECK(chunks[4].text == "Install > Fedora\nUse dnf.");
  CHECK(chunks[7].text == "Title > Sub\nSetext sub body.");
}

TEST_CASE("chunker: a heading without text gets a chunk unless a subsection repeats it") {
  const auto chunks = chunk_text("# Guide\n## Empty\n## Full\nBody.\n# Last\n", options_with(50, 5));
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].text == "Guide > Empty");
  CHECK(chunks[1].text == "Guide > Full\nBody.");
  CHECK(chunks[2].text == "Last");
}

TEST_CASE("chunker: markdown off treats headings and fences as text") {
  const auto chunks = chunk_text("# Not a heading\nText.\n", options_with(50, 5, false));
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].heading.empty());
  CHECK(chunks[0].text == "# Not a heading\nText.");
}

TEST_CASE("chunker: a huge paragraph is split at sentence ends") {
  const std::string input = "# Long\n" + paragraph_of_sentences(1, 30, 8) + "\n";
  const ChunkOptions options = options_with(30, 0);
  const auto chunks = chunk_text(input, options);
  check_chunks_well_formed(chunks, options);
  REQUIRE(chunks.size() >= 10);
  for (const Chunk& chunk : chunks) {
    const std::string_view body = body_of(chunk);
    CHECK(body.starts_with("S"));
    CHECK(body.ends_with("."));
  }
  // Without overlap the bodies are the paragraph, cut between sentences.
  std::string joined;
  for (const Chunk& chunk : chunks) joined += std::string(body_of(chunk)) + " ";
  CHECK(joined == paragraph_of_sentences(1, 30, 8) + " ");
}

TEST_CASE("chunker: a sentence larger than the budget is split between words") {
  std::string sentence;
  for (int index = 0; index < 100; ++index) sentence += "word" + std::to_string(index) + " ";
  const ChunkOptions options = options_with(20, 0);
  const auto chunks = chunk_text(sentence, options);
  check_chunks_well_formed(chunks, options);
  CHECK(chunks.size() >= 5);
  std::vector<std::string> seen;
  for (const Chunk& chunk : chunks)
    for (const std::string& word : words_of(chunk.text)) seen.push_back(word);
  CHECK(seen == words_of(sentence));
}

TEST_CASE("chunker: consecutive chunks of a section overlap, within bounds") {
  const std::string input = "# Topic\n" + paragraph_of_sentences(1, 40, 5) + "\n";
  const ChunkOptions options = options_with(40, 12);
  const auto chunks = chunk_text(input, options);
  check_chunks_well_formed(chunks, options);
  REQUIRE(chunks.size() >= 5);
  for (std::size_t index = 1; index < chunks.size(); ++index) {
    const std::vector<std::string> previous = words_of(body_of(chunks[index - 1]));
    const std::vector<std::string> current = words_of(body_of(chunks[index]));
    // The shared words are a tail of the previous chunk and a head of this one.
    std::size_t shared = 0;
    for (std::size_t length = 1; length <= std::min(previous.size(), current.size()); ++length)
      if (std::equal(previous.end() - static_cast<std::ptrdiff_t>(length), previous.end(),
                     current.begin()))
        shared = length;
    CAPTURE(chunks[index - 1].text);
    CAPTURE(chunks[index].text);
    CHECK(shared >= 5);
    CHECK(shared <= 12);
    // Whole sentences are preferred: the overlap starts a sentence here.
    CHECK(current.front().starts_with("S"));
    // Every chunk still brings new text.
    CHECK(shared < current.size());
  }
}

TEST_CASE("chunker: overlap is bounded even when it must fall inside a long sentence") {
  const std::string input = paragraph_of_sentences(1, 3, 60);
  const ChunkOptions options = options_with(25, 10);
  const auto chunks = chunk_text(input, options);
  check_chunks_well_formed(chunks, options);
  REQUIRE(chunks.size() >= 7);
  for (std::size_t index = 1; index < chunks.size(); ++index) {
    const std::vector<std::string> previous = words_of(chunks[index - 1].text);
    const std::vector<std::string> current = words_of(chunks[index].text);
    std::size_t shared = 0;
    for (std::size_t length = 1; length <= std::min(previous.size(), current.size()); ++length)
      if (std::equal(previous.end() - static_cast<std::ptrdiff_t>(length), previous.end(),
                     current.begin()))
        shared = length;
    CHECK(shared >= 1);
    CHECK(shared <= 10);
  }
}

TEST_CASE("chunker: no overlap across sections") {
  const std::string input = "# One\n" + paragraph_of_sentences(1, 20, 5) + "\n# Two\n" +
                            paragraph_of_sentences(100, 20, 5) + "\n";
  const auto chunks = chunk_text(input, options_with(40, 10));
  bool seen_second_section = false;
  for (const Chunk& chunk : chunks) {
    if (chunk.heading == "One") {
      CHECK(chunk.text.find("w100") == std::string::npos);
    } else {
      REQUIRE(chunk.heading == "Two");
      CHECK(chunk.text.find("S20 ") == std::string::npos);
      if (!seen_second_section) CHECK(body_of(chunk).starts_with("S100 "));
      seen_second_section = true;
    }
  }
  CHECK(seen_second_section);
}

TEST_CASE("chunker: a code fence that fits stays whole") {
  std::string fence = "```python\n";
  for (int index = 0; index < 8; ++index)
    fence += "    value_" + std::to_string(index) + " = compute(" + std::to_string(index) + ")\n";
  fence += "\n    return value\n```";
  const std::string input = "# Code\n" + paragraph_of_sentences(1, 3, 6) + "\n\n" + fence + "\n\n" +
                            paragraph_of_sentences(10, 3, 6) + "\n";
  const ChunkOptions options = options_with(60, 10);
  const auto chunks = chunk_text(input, options);
  check_chunks_well_formed(chunks, options);
  int holders = 0;
  for (const Chunk& chunk : chunks) {
    if (chunk.text.find(fence) != std::string::npos) ++holders;
    // No partial fence anywhere: a chunk holds either both fence lines or none.
    const std::size_t opening = chunk.text.find("```python");
    if (opening != std::string::npos) CHECK(chunk.text.find("```", opening + 3) != std::string::npos);
  }
  CHECK(holders >= 1);
}

TEST_CASE("chunker: a code fence larger than the budget is split by lines and re-wrapped") {
  std::string body;
  for (int index = 0; index < 200; ++index)
    body += "  line_" + std::to_string(index) + " = call(a, b)\n";
  const std::string input = "# Big\n~~~~ cpp\n" + body + "~~~~\nAfter.\n";
  const ChunkOptions options = options_with(50, 8);
  const auto chunks = chunk_text(input, options);
  check_chunks_well_formed(chunks, options);
  REQUIRE(chunks.size() >= 10);
  std::set<std::string> lines_seen;
  for (const Chunk& chunk : chunks) {
    const std::string_view text = body_of(chunk);
    if (text == "After.") continue;
    CAPTURE(chunk.text);
    CHECK(text.starts_with("~~~~ cpp\n"));
    CHECK(text.find("\n~~~~") != std::string_view::npos);
    std::string_view rest = text;
    while (!rest.empty()) {
      const std::size_t newline = rest.find('\n');
      const std::string_view line = rest.substr(0, newline);
      // Lines are whole, indentation included.
      if (line.find("line_") != std::string_view::npos) {
        CHECK(line.starts_with("  line_"));
        CHECK(line.ends_with(" = call(a, b)"));
        lines_seen.insert(std::string(line));
      }
      if (newline == std::string_view::npos) break;
      rest.remove_prefix(newline + 1);
    }
  }
  CHECK(lines_seen.size() == 200);
  CHECK(body_of(chunks.back()).ends_with("After."));
}

TEST_CASE("chunker: a huge fence is cut at its blank lines before its lines") {
  std::string body;
  std::vector<std::string> groups;
  for (int group = 0; group < 6; ++group) {
    std::string text;
    for (int line = 0; line < 5; ++line)
      text += "step_" + std::to_string(group) + "_" + std::to_string(line) + " run it\n";
    groups.push_back(text.substr(0, text.size() - 1));
    body += text + "\n";
  }
  const ChunkOptions options = options_with(40, 0);
  const auto chunks = chunk_text("```\n" + body + "```\n", options);
  check_chunks_well_formed(chunks, options);
  REQUIRE(chunks.size() >= 3);
  std::size_t groups_seen = 0;
  for (const Chunk& chunk : chunks) {
    CAPTURE(chunk.text);
    CHECK(chunk.text.starts_with("```\n"));
    CHECK(chunk.text.ends_with("\n```"));
    for (const std::string& group : groups)
      if (chunk.text.find(group) != std::string::npos) ++groups_seen;
  }
  CHECK(groups_seen == groups.size());
}

TEST_CASE("chunker: overlap in hard-wrapped prose starts at a sentence, not a line") {
  std::string paragraph;
  for (int number = 0; number < 30; ++number) {
    // A line break one word before the full stop: a tail starting there would
    // be longer than one starting at the sentence, and wrong.
    paragraph += "S" + std::to_string(number) + " alpha beta gamma delta epsilon zeta eta theta\niota. ";
  }
  const auto chunks = chunk_text(paragraph, options_with(40, 12));
  REQUIRE(chunks.size() >= 4);
  for (std::size_t index = 1; index < chunks.size(); ++index) {
    CAPTURE(chunks[index].text);
    CHECK(chunks[index].text.starts_with("S"));
  }
}

TEST_CASE("chunker: a heading inside a code fence is not a heading") {
  const std::string input =
      "# Real\n"
      "```sh\n"
      "# not a heading\n"
      "## nor this\n"
      "```\n"
      "Text after.\n"
      "~~~\n"
      "# unclosed fence swallows the rest\n";
  const auto chunks = chunk_text(input, options_with(100, 10));
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].heading == "Real");
  CHECK(chunks[0].text ==
        "Real\n```sh\n# not a heading\n## nor this\n```\n\nText after.\n\n~~~\n# unclosed fence "
        "swallows the rest");
}

TEST_CASE("chunker: hashtags and inline triple backticks are text") {
  const auto chunks = chunk_text("#hashtag line\n```inline``` code\nmore\n", options_with(100, 10));
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].heading.empty());
  CHECK(chunks[0].text == "#hashtag line\n```inline``` code\nmore");
}

TEST_CASE("chunker: CRLF and lone CR line endings read like LF") {
  const std::string unix_text = "# Title\n\nLine one.\nLine two.\n\n## Sub\nMore text.\n";
  const std::string windows_text =
      "# Title\r\n\r\nLine one.\r\nLine two.\r\n\r\n## Sub\r\nMore text.\r\n";
  const std::string old_mac_text = "# Title\r\rLine one.\rLine two.\r\r## Sub\rMore text.\r";
  const auto expected = chunk_text(unix_text, options_with(50, 5));
  REQUIRE(expected.size() == 2);
  CHECK(expected[0].text == "Title\nLine one.\nLine two.");
  for (const auto& input : {windows_text, old_mac_text}) {
    const auto chunks = chunk_text(input, options_with(50, 5));
    REQUIRE(chunks.size() == expected.size());
    for (std::size_t index = 0; index < chunks.size(); ++index) {
      CHECK(chunks[index].text == expected[index].text);
      CHECK(chunks[index].heading == expected[index].heading);
    }
  }
}

TEST_CASE("chunker: multi-byte characters are never cut") {
  // Runs without spaces force cuts inside words; each script has a different
  // sequence length (2, 3 and 4 bytes) so a cut inside any of them would show.
  std::string runs;
  for (int index = 0; index < 300; ++index) runs += "é";
  runs += " ";
  for (int index = 0; index < 300; ++index) runs += "日本語";
  runs += " ";
  for (int index = 0; index < 300; ++index) runs += "\xF0\x9F\x99\x82";  // U+1F642
  runs += "。次の文です。";
  std::string expected;
  for (const std::string& word : words_of(runs)) expected += word;
  for (const int max_tokens : {1, 2, 3, 7, 13, 50}) {
    CAPTURE(max_tokens);
    const ChunkOptions options = options_with(max_tokens, 0);
    const auto chunks = chunk_text("# Ünïcødé 日本\n" + runs + "\n", options);
    check_chunks_well_formed(chunks, options);
    // Without overlap the pieces tile the text (after the title, which tiny
    // budgets move into the body).
    std::string joined;
    for (const Chunk& chunk : chunks)
      for (const std::string& word : words_of(body_of(chunk))) joined += word;
    CHECK(std::string_view(joined).ends_with(expected));
  }
}

TEST_CASE("chunker: malformed UTF-8 in the input comes out replaced, not copied") {
  const std::string input = "bad \xC3 byte \xED\xA0\x80 surrogate \xF5 high \xE6\x97 cut";
  const auto chunks = chunk_text(input, options_with(50, 5));
  REQUIRE(chunks.size() == 1);
  CHECK(is_valid_utf8(chunks[0].text));
  CHECK(chunks[0].text.starts_with("bad \xEF\xBF\xBD byte"));
}

TEST_CASE("chunker: an unbroken run is split so no chunk exceeds the budget") {
  std::string blob;
  std::mt19937 generator(7);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int index = 0; index < 10000; ++index) blob.push_back(alphabet[generator() % alphabet.size()]);
  const ChunkOptions options = options_with(100, 20);
  const auto chunks = chunk_text("Attachment:\n\n" + blob + "\n", options);
  check_chunks_well_formed(chunks, options);
  CHECK(chunks.size() >= 10000 / 600);
  // A cut word cannot be overlapped, so the pieces tile the run exactly.
  std::string joined;
  for (const Chunk& chunk : chunks)
    if (chunk.text != "Attachment:") joined += chunk.text;
  CHECK(joined == blob);
}

TEST_CASE("chunker: a runaway heading is shortened and its words kept in the body") {
  std::string title;
  for (int index = 0; index < 80; ++index) title += "t" + std::to_string(index) + " ";
  const ChunkOptions options = options_with(30, 5);
  const auto chunks = chunk_text("# " + title + "\nShort body.\n", options);
  check_chunks_well_formed(chunks, options);
  REQUIRE_FALSE(chunks.empty());
  CHECK(chunks[0].heading.ends_with(" \xE2\x80\xA6"));
  CHECK(tokens_of(chunks[0].heading) <= 15);
  std::set<std::string> chunk_words;
  for (const Chunk& chunk : chunks)
    for (const std::string& word : words_of(chunk.text)) chunk_words.insert(word);
  for (const std::string& word : words_of(title)) CHECK(chunk_words.count(word) == 1);
  CHECK(chunk_words.count("Short") == 1);
}

TEST_CASE("chunker: a runaway heading with many subsections stays linear") {
  std::string input = "# ";
  for (int index = 0; index < 100000; ++index) input += "t" + std::to_string(index) + " ";
  input += "\n";
  for (int index = 0; index < 5000; ++index)
    input += "## child" + std::to_string(index) + "\nbody" + std::to_string(index) + ".\n";
  const ChunkOptions options = options_with(40, 5);
  const std::clock_t started = std::clock();
  const auto chunks = chunk_text(input, options);
  const double seconds = static_cast<double>(std::clock() - started) / CLOCKS_PER_SEC;
  check_chunks_well_formed(chunks, options);
  REQUIRE(chunks.size() > 5000);
  CHECK(chunks.back().heading == "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 t13 t14 t15 t16 t17 t18 \xE2\x80\xA6");
  CHECK(body_of(chunks.back()) == "child4999\n\nbody4999.");
  // Rescanning the big title for each subsection would take minutes.
  CHECK(seconds < 5.0);
}

TEST_CASE("chunker: odd options are clamped rather than looping") {
  const std::string input = "# Head\n" + paragraph_of_sentences(1, 5, 5) + "\n";
  for (const auto& [max_tokens, overlap_tokens] :
       std::vector<std::pair<int, int>>{{0, 0}, {-5, -5}, {1, 100}, {2, 2}, {10, 1000}}) {
    CAPTURE(max_tokens);
    const auto chunks = chunk_text(input, options_with(max_tokens, overlap_tokens));
    CHECK_FALSE(chunks.empty());
    for (const Chunk& chunk : chunks) {
      CHECK_FALSE(body_of(chunk).empty());
      CHECK(tokens_of(chunk.text) <= static_cast<std::size_t>(std::max(max_tokens, 1)));
    }
  }
}

namespace {

// Markdown-ish text from a seed: headings of any depth, paragraphs of unique
// words in several scripts, fences (some huge, some unclosed), long unbroken
// runs, CRLF and stray blank space. `words` receives every word that must
// come out in some chunk.
std::string random_document(std::mt19937& generator, std::vector<std::string>* words) {
  auto pick = [&](int bound) { return static_cast<int>(generator() % static_cast<unsigned>(bound)); };
  int counter = 0;
  const std::vector<std::string> decorations = {"", "é", "日本", "\xF0\x9F\x98\x80", "ß", "_", "."};
  auto word = [&]() {
    std::string result = "w" + std::to_string(counter++) + "q" + decorations[static_cast<std::size_t>(pick(7))];
    if (pick(8) == 0) result += ".";
    if (words != nullptr) words->push_back(result);
    return result;
  };
  const std::string newline = pick(2) == 0 ? "\n" : "\r\n";
  std::string document;
  const int blocks = 1 + pick(30);
  for (int block = 0; block < blocks; ++block) {
    switch (pick(10)) {
      case 0:
      case 1: {
        document += std::string(static_cast<std::size_t>(1 + pick(6)), '#') + " ";
        for (int index = pick(4); index >= 0; --index) document += word() + " ";
        document += newline;
        break;
      }
      case 2: {
        const std::string marker = pick(2) == 0 ? "```" : "~~~~";
        document += marker + "lang" + newline;
        for (int line = pick(60); line >= 0; --line) {
          document += std::string(static_cast<std::size_t>(pick(5)), ' ');
          if (pick(6) == 0) document += "# ";
          for (int index = pick(6); index >= 0; --index) document += word() + " ";
          document += newline;
        }
        if (pick(10) != 0) document += marker + newline;
        break;
      }
      case 3: {
        std::string run;
        for (int index = pick(400); index >= 0; --index) run += static_cast<char>('a' + pick(26));
        document += run + newline;  // checked separately: runs may be cut
        break;
      }
      default: {
        for (int line = pick(5); line >= 0; --line) {
          if (pick(5) == 0) document += "- ";
          for (int index = pick(40); index >= 0; --index) document += word() + (pick(10) == 0 ? "  " : " ");
          document += newline;
        }
        break;
      }
    }
    document += pick(3) == 0 ? " \t" + newline : newline;
  }
  return document;
}

}  // namespace

TEST_CASE("chunker: property: random markdown stays within budget, valid and complete") {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    std::mt19937 generator(seed);
    std::vector<std::string> words;
    const std::string document = random_document(generator, &words);
    const int max_tokens = 8 + static_cast<int>(generator() % 200);
    const int overlap_tokens = static_cast<int>(generator() % 50);
    const ChunkOptions options = options_with(max_tokens, overlap_tokens, generator() % 5 != 0);
    CAPTURE(max_tokens);
    CAPTURE(overlap_tokens);
    const auto chunks = chunk_text(document, options);
    REQUIRE_FALSE(chunks.empty());
    check_chunks_well_formed(chunks, options);
    std::set<std::string> chunk_words;
    for (const Chunk& chunk : chunks)
      for (const std::string& chunk_word : words_of(chunk.text)) chunk_words.insert(chunk_word);
    for (const std::string& expected : words) {
      // A generated word costs at most 3 tokens and the smallest budget here
      // leaves at least 4 beside the heading, so no word may be cut.
      if (chunk_words.count(expected) == 0) {
        CAPTURE(expected);
        CAPTURE(document);
        FAIL_CHECK("word missing from every chunk");
        break;
      }
    }
    CHECK(same_chunks(chunks, chunk_text(document, options)));
  }
}

TEST_CASE("chunker: output is deterministic") {
  std::mt19937 generator(99);
  const std::string document = random_document(generator, nullptr);
  const auto first = chunk_text(document, options_with(60, 15));
  CHECK(first.size() > 1);
  CHECK(same_chunks(first, chunk_text(document, options_with(60, 15))));
  CHECK(same_chunks(first, chunk_text(std::string(document), options_with(60, 15))));
}

TEST_CASE("chunker: ten megabytes of markdown chunk in well under a second") {
  std::mt19937 generator(2024);
  std::string document;
  document.reserve(11 << 20);
  while (document.size() < (10u << 20)) document += random_document(generator, nullptr);
  // Processor time rather than wall time, so a busy machine cannot fail it.
  const std::clock_t started = std::clock();
  const auto chunks = chunk_text(document, ChunkOptions{});
  const double seconds = static_cast<double>(std::clock() - started) / CLOCKS_PER_SEC;
  CHECK(chunks.size() > 1000);
  MESSAGE("10 MB chunked in " << static_cast<int>(seconds * 1000) << " ms of processor time");
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
  // Only optimized builds are held to the promise; the others just report.
  CHECK(seconds < 1.0);
#endif
}
