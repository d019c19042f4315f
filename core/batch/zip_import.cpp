#include "core/batch/zip_import.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <string_view>
#include <vector>

#include "core/ascii_case.hpp"
#include "core/batch/zip_library.hpp"
#include "core/error.hpp"
#include "core/utf8.hpp"

namespace weir {

namespace {

constexpr size_t kReadBytes = 64u << 10;

// The end of central directory record (22 bytes, then a comment of at most
// 65535) and, before it when the archive is ZIP64, the ZIP64 locator (20
// bytes) naming where the ZIP64 end record (56 bytes) is.
constexpr std::string_view kEndMagic("PK\x05\x06", 4);
constexpr std::string_view kZip64LocatorMagic("PK\x06\x07", 4);
constexpr std::string_view kZip64EndMagic("PK\x06\x06", 4);
constexpr size_t kEndBytes = 22, kZip64LocatorBytes = 20, kZip64EndBytes = 56;
constexpr size_t kTailBytes = kZip64LocatorBytes + kEndBytes + 65535;

// Names and leading bytes of archives and compressed files: a zip inside a
// zip is how a bomb multiplies, and none of them is text to classify.
constexpr std::array<std::string_view, 12> kArchiveExtensions = {".zip", ".jar", ".gz",  ".tgz", ".bz2", ".xz",
                                                                 ".zst", ".7z",  ".rar", ".tar", ".lz4", ".z"};
constexpr std::array<std::string_view, 8> kArchiveMagic = {
    std::string_view("PK\x03\x04", 4), std::string_view("PK\x05\x06", 4), std::string_view("\x1f\x8b", 2),
    std::string_view("BZh", 3),        std::string_view("\xfd" "7zXZ\0", 6), std::string_view("\x28\xb5\x2f\xfd", 4),
    std::string_view("7z\xbc\xaf\x27\x1c", 6), std::string_view("Rar!\x1a\x07", 6)};

std::string megabytes(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB"; }

bool named_like_archive(const std::string& name) {
  auto lower = ascii_lowercase(name);
  for (auto extension : kArchiveExtensions)
    if (lower.size() > extension.size() && lower.ends_with(extension)) return true;
  return false;
}

bool starts_like_archive(std::string_view content) {
  for (auto magic : kArchiveMagic)
    if (content.starts_with(magic)) return true;
  return false;
}

bool ignored(const std::string& name) {
  if (name.empty() || name.back() == '/') return true;  // a folder
  if (name.starts_with("__MACOSX/")) return true;
  size_t start = 0;
  while (start < name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (end > start && name[start] == '.') return true;
    start = end + 1;
  }
  return false;
}

uint64_t little_endian(std::string_view bytes, size_t at, size_t width) {
  uint64_t value = 0;
  for (size_t index = width; index-- > 0;) value = value << 8 | static_cast<unsigned char>(bytes[at + index]);
  return value;
}

// The most entries any end record in the archive's last 64 KB declares (for
// ZIP64, its ZIP64 end record's count). libzip tries every end record it
// finds there and reads the central directory each names, so this bounds
// its work before it starts; 0 when the file cannot be read (libzip says why).
uint64_t declared_entries(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return 0;
  auto end = in.tellg();
  if (end < 0) return 0;
  auto size = static_cast<uint64_t>(end);
  std::string tail(static_cast<size_t>(std::min<uint64_t>(size, kTailBytes)), '\0');
  in.seekg(static_cast<std::streamoff>(size - tail.size()));
  if (!in.read(tail.data(), static_cast<std::streamsize>(tail.size()))) return 0;
  uint64_t most = 0;
  for (size_t at = tail.find(kEndMagic); at != std::string::npos && at + kEndBytes <= tail.size();
       at = tail.find(kEndMagic, at + 1)) {
    most = std::max({most, little_endian(tail, at + 8, 2), little_endian(tail, at + 10, 2)});
    if (at < kZip64LocatorBytes || tail.compare(at - kZip64LocatorBytes, 4, kZip64LocatorMagic) != 0) continue;
    uint64_t record = little_endian(tail, at - kZip64LocatorBytes + 8, 8);
    if (size < kZip64EndBytes || record > size - kZip64EndBytes) continue;
    std::string zip64_end(kZip64EndBytes, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(record));
    if (!in.read(zip64_end.data(), static_cast<std::streamsize>(zip64_end.size())) ||
        !std::string_view(zip64_end).starts_with(kZip64EndMagic))
      continue;
    most = std::max({most, little_endian(zip64_end, 24, 8), little_endian(zip64_end, 32, 8)});
  }
  return most;
}

Error refused(ErrorKind kind, const std::string& path, const std::string& why) {
  return Error(kind, path + ": " + why + "; nothing was added");
}

struct ArchiveCloser {
  void operator()(zip_t* archive) const { zip_library().discard(archive); }
};
struct EntryCloser {
  void operator()(zip_file_t* file) const { zip_library().fclose(file); }
};

struct Entry {
  zip_uint64_t index = 0;
  std::string name;
  uint64_t declared = 0;
};

}  // namespace

bool looks_like_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[4] = {};
  if (!in.read(head, sizeof head)) return false;
  std::string_view start(head, sizeof head);
  return start == std::string_view("PK\x03\x04", 4) || start == std::string_view("PK\x05\x06", 4);
}

void read_zip_inputs(const std::string& path, BatchImport& import) {
  auto too_many = [&](uint64_t count) {
    return refused(ErrorKind::too_large, path,
                   "the archive holds " + std::to_string(count) + " entries; one import takes at most " +
                       std::to_string(kMostZipEntries));
  };
  if (uint64_t declared = declared_entries(path); declared > static_cast<uint64_t>(kMostZipEntries))
    throw too_many(declared);
  int code = 0;
  std::unique_ptr<zip_t, ArchiveCloser> archive(zip_library().open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!archive) {
    zip_error_t error;
    zip_library().error_init_with_code(&error, code);
    std::string why = zip_library().error_strerror(&error);
    zip_library().error_fini(&error);
    throw Error(ErrorKind::usage, path + " is not a zip archive weir can read (" + why + ")");
  }
  zip_int64_t count = zip_library().get_num_entries(archive.get(), 0);
  if (count > kMostZipEntries) throw too_many(static_cast<uint64_t>(count));

  // Everything the headers say is checked before a byte is inflated.
  std::vector<Entry> entries;
  uint64_t declared_total = 0;
  for (zip_int64_t index = 0; index < count; ++index) {
    zip_stat_t stat;
    zip_library().stat_init(&stat);
    if (zip_library().stat_index(archive.get(), static_cast<zip_uint64_t>(index), 0, &stat) != 0)
      throw Error(ErrorKind::usage, path + ": entry " + std::to_string(index) + " cannot be read (" +
                                        zip_library().strerror(archive.get()) + "); nothing was added");
    std::string name = (stat.valid & ZIP_STAT_NAME) && stat.name ? stat.name : "";
    if (ignored(name)) continue;
    if (named_like_archive(name))
      throw refused(ErrorKind::usage, path, name + " is an archive; nested archives are refused: add it on its own");
    if (!(stat.valid & ZIP_STAT_SIZE))
      throw refused(ErrorKind::usage, path, name + " does not declare its size");
    declared_total += stat.size;
    if (declared_total > kMostBatchImportBytes)
      throw refused(ErrorKind::too_large, path,
                    "its entries declare more than " + megabytes(kMostBatchImportBytes) +
                        " uncompressed; one import takes at most that: split the archive");
    if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) && stat.encryption_method != ZIP_EM_NONE) {
      import.rejected.push_back({name, "encrypted; weir takes no passwords: add it unencrypted"});
      continue;
    }
    if ((stat.valid & ZIP_STAT_COMP_METHOD) && !zip_library().compression_method_supported(stat.comp_method, 0)) {
      import.rejected.push_back({name, "compressed with a method libzip cannot read (" + std::to_string(stat.comp_method) + ")"});
      continue;
    }
    if (stat.size > kMostBatchItemBytes) {
      import.rejected.push_back({name, "the item is " + megabytes(stat.size) + "; an item may be at most " +
                                           megabytes(kMostBatchItemBytes)});
      continue;
    }
    entries.push_back({static_cast<zip_uint64_t>(index), std::move(name), stat.size});
  }

  // Now the real bytes, never more than declared (and so never past the limits).
  uint64_t real_total = 0;
  std::vector<BatchInput> inputs;
  std::string chunk(kReadBytes, '\0');
  for (const auto& entry : entries) {
    std::unique_ptr<zip_file_t, EntryCloser> file(zip_library().fopen_index(archive.get(), entry.index, 0));
    if (!file)
      throw Error(ErrorKind::usage, path + ": " + entry.name + " cannot be opened (" + zip_library().strerror(archive.get()) +
                                        "); nothing was added");
    std::string content;
    while (true) {
      zip_int64_t got = zip_library().fread(file.get(), chunk.data(), chunk.size());
      if (got < 0)
        throw Error(ErrorKind::usage, path + ": " + entry.name + " is damaged (" + zip_library().file_strerror(file.get()) +
                                          "); nothing was added");
      if (got == 0) break;
      auto bytes = static_cast<uint64_t>(got);
      real_total += bytes;
      if (content.size() + bytes > entry.declared)
        throw refused(ErrorKind::too_large, path,
                      entry.name + " inflates past the " + std::to_string(entry.declared) +
                          " bytes its header declares: refused as a zip bomb");
      if (real_total > kMostBatchImportBytes)
        throw refused(ErrorKind::too_large, path, "it inflates past " + megabytes(kMostBatchImportBytes));
      content.append(chunk.data(), bytes);
    }
    if (starts_like_archive(content))
      throw refused(ErrorKind::usage, path, entry.name + " is an archive; nested archives are refused: add it on its own");
    if (content.find('\0') != std::string::npos || !valid_utf8(content)) {
      import.skipped.push_back({entry.name, "binary (NUL bytes or not UTF-8); only text files become items"});
      continue;
    }
    inputs.push_back({entry.name, std::move(content)});
  }
  for (auto& input : inputs) import.inputs.push_back(std::move(input));
}

}  // namespace weir
