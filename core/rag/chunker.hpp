// Chunker — splits a text or Markdown file into self-contained passages for
// `weir collection add`.
//
// Each chunk should make sense alone: chunks break at Markdown headings first,
// then at paragraphs, then at sentences, and only then inside a sentence;
// every chunk of a section starts with that section's heading path (e.g.
// "Install > Debian") as its first line, so a retrieved passage says what it
// is about. Chunks stay within a token budget and consecutive chunks of one
// section overlap by a few tokens so a fact cut at a boundary is whole in one
// of them; there is no overlap across sections. Code fences are never split
// inside unless a fence alone exceeds the budget; then it is cut at blank
// lines, then between lines, and each piece is wrapped in the fence's own
// opening and closing lines.
//
// Tokens are estimated as whitespace-separated words, each word counting one
// token per started six bytes, so an unbroken run (base64, minified code, CJK
// text) is budgeted too and cut, at a UTF-8 character boundary, when it alone
// exceeds the budget. The heading line counts against the budget; a heading
// path is given at most half of it and is shortened with "…" beyond that (the
// section then repeats its full title in its text). A heading with no text of
// its own gets a chunk holding just its path, unless the next section's path
// already repeats it. Input may be any bytes: line endings are normalized to
// "\n" and malformed UTF-8 becomes U+FFFD, so every chunk is valid UTF-8.
// Markdown mode knows ATX ("## Title") and setext headings (a one-line
// paragraph underlined with "===" or "---") and ``` / ~~~ fences; a heading
// inside a fence is code. The result is deterministic and takes linear time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir {

struct ChunkOptions {
  int max_tokens = 300;     // budget per chunk, heading line included; below 1 means 1
  int overlap_tokens = 40;  // capped at half of what the heading line leaves
  bool markdown = true;     // honour headings and fences
};

struct Chunk {
  std::string text;     // the heading path (if any) as its first line, then the passage
  std::string heading;  // the heading path, possibly empty
};

std::vector<Chunk> chunk_text(std::string_view text, const ChunkOptions& options);

}  // namespace weir
