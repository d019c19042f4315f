// Zip import — the items of `weir batch add NAME FILE.zip`: one item per
// text file in the archive, its source the path inside the archive.
//
// A zip is read as untrusted input (a zip bomb, a forged header) and never
// extracted to disk. Before any entry is inflated, the archive is refused
// whole (nothing added) when it holds more than kMostZipEntries entries (as
// its end of central directory records say, ZIP64's included: read before
// libzip reads a central directory), when its entries' declared sizes add
// up past kMostBatchImportBytes, or when an entry is named like an archive
// (nested archives are refused). While an entry inflates, its real bytes
// are counted in 64 KB reads: one byte past the size its header declared, or
// past the import's limit, refuses the archive whole (Error(too_large)), so
// a header that lies costs at most one read more than it declared and the
// inflated size is never allocated. An entry whose content turns out to be
// an archive is refused the same way.
//
// Per entry, like the files mode: an entry declaring more than
// kMostBatchItemBytes is rejected (the others land), an encrypted or
// unsupported one is rejected, a binary one (NUL bytes, or not UTF-8) is
// skipped and counted; folders, hidden paths and macOS "__MACOSX/" forks
// are ignored. A damaged archive is Error(usage) naming what libzip found.
#pragma once

#include <string>

#include "core/batch/batch_import.hpp"

namespace weir {

inline constexpr int64_t kMostZipEntries = 100000;

// Adds the archive's items to `import` (whose limits are batch_import.hpp's).
void read_zip_inputs(const std::string& path, BatchImport& import);

// Whether the file at `path` starts like a zip archive ("PK\3\4", or the
// end record of an empty one).
bool looks_like_zip(const std::string& path);

}  // namespace weir
