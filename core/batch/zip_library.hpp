// libzip, loaded at run time.
//
// weir does not link libzip: it brings libcrypto, libbz2 and libz into every
// process start, and only `weir batch add FILE.zip` reads archives (process
// start must stay well under 2 ms; see core/net/curl_library.hpp). The first
// call to zip_library() dlopen()s libzip.so.4 once (thread-safe) and resolves
// the functions core/batch/zip_import.cpp uses; later calls return the same
// table. A missing library or symbol is Error(runtime) naming the Debian
// package to install, and the next call tries again.
#pragma once

#include <zip.h>

namespace weir {

struct ZipLibrary {
  decltype(&::zip_open) open;
  decltype(&::zip_discard) discard;
  decltype(&::zip_error_init_with_code) error_init_with_code;
  decltype(&::zip_error_strerror) error_strerror;
  decltype(&::zip_error_fini) error_fini;
  decltype(&::zip_get_num_entries) get_num_entries;
  decltype(&::zip_stat_init) stat_init;
  decltype(&::zip_stat_index) stat_index;
  decltype(&::zip_strerror) strerror;
  decltype(&::zip_compression_method_supported) compression_method_supported;
  decltype(&::zip_fopen_index) fopen_index;
  decltype(&::zip_fread) fread;
  decltype(&::zip_file_strerror) file_strerror;
  decltype(&::zip_fclose) fclose;
};

const ZipLibrary& zip_library();

}  // namespace weir
