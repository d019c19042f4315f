// Zip import for `weir batch add` (core/batch/zip_import.hpp), on the archives
// tests/data/zip/make_fixtures.py writes: text entries become items named by
// their path in the archive, binary ones are skipped, an oversized one is
// rejected alone; zip bombs (declared past the import limit, or a header that
// lies about its size) and nested archives are refused whole, quickly and
// without the inflated size ever being held in memory.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/batch/batch_import.hpp"
#include "core/batch/zip_import.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

std::string fixture(const std::string& name) { return std::string(WEIR_SOURCE_DIR) + "/tests/data/zip/" + name; }

long peak_rss_kilobytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Refuses `archive` and says how much the peak memory grew while doing so.
struct Refusal {
  Error error;
  long grown_kilobytes;
  double seconds;
};
Refusal refuse(const std::string& archive) {
  long before = peak_rss_kilobytes();
  auto start = std::chrono::steady_clock::now();
  auto error = expect_error([&] { read_batch_inputs(fixture(archive), ""); });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {error, peak_rss_kilobytes() - before, seconds};
}

// `value` as `width` little-endian bytes, as zip headers store numbers.
std::string little_endian(uint64_t value, int width) {
  std::string bytes;
  for (int index = 0; index < width; ++index) bytes += static_cast<char>((value >> (8 * index)) & 0xff);
  return bytes;
}

}  // namespace

TEST_CASE("a zip's text files become items named by their path in it; binary, hidden and fork entries do not") {
  auto import = read_batch_inputs(fixture("tickets.zip"), "");  // the .zip extension picks the mode
  REQUIRE(import.inputs.size() == 2);
  CHECK(import.inputs[0].source == "first.txt");
  CHECK(import.inputs[0].input == "The printer on floor 2 is out of toner.\n");
  CHECK(import.inputs[1].source == "inbox/second.md");
  CHECK(import.inputs[1].input.get<std::string>().find("order 1042") != std::string::npos);
  REQUIRE(import.skipped.size() == 1);
  CHECK(import.skipped[0].where == "logo.png");
  CHECK(import.rejected.empty());
}

TEST_CASE("a zip is recognised by its first bytes whatever its name, and --mode zip refuses what is not one") {
  auto renamed = std::filesystem::temp_directory_path() / "weir-zip-import-tickets.bin";
  std::filesystem::copy_file(fixture("tickets.zip"), renamed, std::filesystem::copy_options::overwrite_existing);
  CHECK(looks_like_zip(renamed.string()));
  CHECK(read_batch_inputs(renamed.string(), "").inputs.size() == 2);
  std::filesystem::remove(renamed);

  auto text = std::filesystem::temp_directory_path() / "weir-zip-import-not.zip";
  std::ofstream(text) << "just text\n";
  auto error = expect_error([&] { read_batch_inputs(text.string(), "zip"); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()).find("is not a zip archive") != std::string::npos);
  std::filesystem::remove(text);
}

TEST_CASE("a zip entry over 10 MB is rejected by name and the others land") {
  auto import = read_batch_inputs(fixture("big_item.zip"), "zip");
  REQUIRE(import.inputs.size() == 1);
  CHECK(import.inputs[0].source == "small.txt");
  REQUIRE(import.rejected.size() == 1);
  CHECK(import.rejected[0].where == "big.txt");
  CHECK(import.rejected[0].reason.find("at most 10 MB") != std::string::npos);
}

TEST_CASE("a zip whose entries declare more than 100 MB is refused whole before anything inflates") {
  auto refusal = refuse("bomb_total.zip");
  CHECK(refusal.error.kind() == ErrorKind::too_large);
  CHECK(std::string(refusal.error.what()).find("declare more than 100 MB") != std::string::npos);
  CHECK(std::string(refusal.error.what()).find("nothing was added") != std::string::npos);
  CHECK(refusal.grown_kilobytes < 20 * 1024);
  CHECK(refusal.seconds < 2);
}

TEST_CASE("a zip entry that inflates past the size its header declares is refused as a bomb after one read") {
  // 110 MB of text whose headers say 100 bytes: the real bytes are counted.
  auto refusal = refuse("bomb_lying.zip");
  CHECK(refusal.error.kind() == ErrorKind::too_large);
  CHECK(std::string(refusal.error.what()).find("small.txt inflates past the 100 bytes its header declares") !=
        std::string::npos);
  CHECK(refusal.grown_kilobytes < 20 * 1024);
  CHECK(refusal.seconds < 2);
}

TEST_CASE("nested archives are refused whole, by their name or by their first bytes") {
  auto named = expect_error([] { read_batch_inputs(fixture("nested.zip"), ""); });
  CHECK(named.kind() == ErrorKind::usage);
  CHECK(std::string(named.what()).find("inner.zip is an archive; nested archives are refused") != std::string::npos);
  auto disguised = expect_error([] { read_batch_inputs(fixture("nested_magic.zip"), ""); });
  CHECK(disguised.kind() == ErrorKind::usage);
  CHECK(std::string(disguised.what()).find("notes.txt is an archive") != std::string::npos);
}

TEST_CASE("a ZIP64 archive declaring more than 100000 entries is refused from its end records, before libzip reads them") {
  // A central directory of 200,000 entries of 46 bytes (a hole in a sparse
  // file: nothing is written), then the ZIP64 end record, its locator and
  // the end record whose counts say "see ZIP64". libzip would allocate
  // 200,000 entries and read the directory (finding zeros, a damaged
  // archive); the end records alone refuse it as too large.
  constexpr uint64_t kEntries = 200000, kDirectoryBytes = kEntries * 46;
  auto path = std::filesystem::temp_directory_path() / "weir-zip-import-many-entries.zip";
  std::filesystem::remove(path);
  std::ofstream(path, std::ios::binary).close();
  std::filesystem::resize_file(path, kDirectoryBytes);
  std::string zip64_end = std::string("PK\x06\x06", 4) + little_endian(44, 8) + little_endian(45, 2) +
                          little_endian(45, 2) + little_endian(0, 4) + little_endian(0, 4) +
                          little_endian(kEntries, 8) + little_endian(kEntries, 8) +
                          little_endian(kDirectoryBytes, 8) + little_endian(0, 8);
  std::string locator = std::string("PK\x06\x07", 4) + little_endian(0, 4) + little_endian(kDirectoryBytes, 8) +
                        little_endian(1, 4);
  std::string end = std::string("PK\x05\x06", 4) + little_endian(0, 2) + little_endian(0, 2) +
                    little_endian(0xffff, 2) + little_endian(0xffff, 2) + little_endian(0xffffffff, 4) +
                    little_endian(0xffffffff, 4) + little_endian(0, 2);
  REQUIRE(zip64_end.size() == 56);
  REQUIRE(locator.size() == 20);
  REQUIRE(end.size() == 22);
  std::ofstream(path, std::ios::binary | std::ios::app) << zip64_end << locator << end;

  auto error = expect_error([&] { read_batch_inputs(path.string(), "zip"); });
  CHECK(error.kind() == ErrorKind::too_large);
  CHECK(std::string(error.what()).find("the archive holds 200000 entries; one import takes at most 100000; nothing "
                                       "was added") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("a folder's binary files are skipped by name; its text files become items") {
  auto folder = std::filesystem::temp_directory_path() / ("weir-batch-files-" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "a.txt") << "first ticket";
  std::ofstream(folder / "b.png", std::ios::binary) << std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  std::ofstream(folder / "c.txt", std::ios::binary) << "caf\xe9";  // Latin-1, not UTF-8
  auto import = read_batch_inputs(folder.string(), "");
  REQUIRE(import.inputs.size() == 1);
  CHECK(import.inputs[0].input == "first ticket");
  REQUIRE(import.skipped.size() == 2);
  CHECK(import.skipped[0].where.ends_with("b.png"));
  CHECK(import.skipped[1].where.ends_with("c.txt"));
  CHECK(import.skipped[0].reason.find("binary") != std::string::npos);
  CHECK(import.rejected.empty());
  std::filesystem::remove_all(folder);
}
