// hash64 values are persisted (content hashes in the store, index file
// checksums): pinned here so a change to the function cannot slip by, and
// Hash64Stream must give the same value however the bytes are cut up.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "core/hash.hpp"

using namespace weir;

TEST_CASE("hash64: pinned values") {
  CHECK(hash64("") == 0x4306e8ba618984bbULL);
  CHECK(hash64("a") == 0x7b4ed9af6d6421b3ULL);
  CHECK(hash64("abc") == 0xd9dbe94a0e4ec4fcULL);
  CHECK(hash64("0123456789abcdef0123456789abcdef") == 0x408023afe8d51fafULL);
  CHECK(hash64("The quick brown fox jumps over the lazy dog.") == 0xeb6751bbedc74ad7ULL);
  std::string long_text;
  for (int index = 0; index < 1000; ++index) long_text += static_cast<char>('a' + index % 26);
  CHECK(hash64(long_text) == 0x571adcfe073eb9dbULL);
  CHECK(hash64(std::string_view("abc"), 7) == 0xebcb6ee5e7939ac0ULL);
  CHECK(hash64_hex("weir") == "29a71ae584b97147");
}

TEST_CASE("hash64: a stream in pieces of any size equals the hash of the whole") {
  std::string text;
  for (int index = 0; index < 777; ++index) text += static_cast<char>(index * 131 % 251);
  for (size_t piece : {1u, 3u, 7u, 8u, 31u, 32u, 33u, 100u, 777u}) {
    CAPTURE(piece);
    Hash64Stream stream(5);
    for (size_t at = 0; at < text.size(); at += piece) stream.update(text.data() + at, std::min(piece, text.size() - at));
    CHECK(stream.finish() == hash64(text, 5));
  }
  Hash64Stream stream;
  stream.update(nullptr, 0);  // an empty vector's data() may be null
  CHECK(stream.finish() == hash64(""));
  stream.update("ab", 2);
  CHECK(stream.finish() == hash64("ab"));  // finish() leaves the stream going
  stream.update("c", 1);
  CHECK(stream.finish() == hash64("abc"));
}
