// libcurl, loaded at run time.
//
// weir does not link libcurl: linking it costs ~6 ms of process start, and
// commands that never talk to an upstream (`weir --version`, `gateway list`)
// must start in well under 2 ms. The first call to curl_library() dlopen()s
// libcurl.so.4 once (thread-safe), runs curl_global_init, and resolves the few
// functions weir uses; later calls return the same table. If the library or a
// symbol is missing it throws Error(runtime) telling the user which Debian
// package to install, and tries again on the next call.
//
// curl_easy_setopt and curl_easy_getinfo are variadic, so the helpers below
// give each argument type its own name; call sites never pass an unchecked
// argument through `...`.
#pragma once

#include <curl/curl.h>

#include <string>

namespace weir::curl {

struct CurlLibrary {
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLM* (*multi_init)();
  CURLMcode (*multi_cleanup)(CURLM*);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_perform)(CURLM*, int*);
  CURLMcode (*multi_poll)(CURLM*, curl_waitfd*, unsigned int, int, int*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  const char* (*multi_strerror)(CURLMcode);
  curl_version_info_data* (*version_info)(CURLversion);
};

// Loads libcurl on first use; throws Error(runtime) when it cannot.
const CurlLibrary& curl_library();

// The version of the libcurl weir loads ("7.88.1"); Error(runtime) when it
// cannot be loaded.
std::string loaded_curl_version();

using WriteCallback = size_t (*)(char* data, size_t size, size_t count, void* user);

// Typed wrappers of curl_easy_setopt; they return curl's result so callers
// can ignore it for options an older libcurl may not know.
CURLcode set_long_option(CURL* handle, CURLoption option, long value);
CURLcode set_offset_option(CURL* handle, CURLoption option, curl_off_t value);
CURLcode set_string_option(CURL* handle, CURLoption option, const char* value);
CURLcode set_pointer_option(CURL* handle, CURLoption option, void* value);
CURLcode set_list_option(CURL* handle, CURLoption option, curl_slist* value);
CURLcode set_write_callback(CURL* handle, CURLoption option, WriteCallback callback);

// Typed wrapper of curl_easy_getinfo for long-valued information; 0 on failure.
long get_long_info(CURL* handle, CURLINFO info);

}  // namespace weir::curl
