#include "core/net/curl_library.hpp"

#include <string>

#include "core/dynamic_library.hpp"
#include "core/error.hpp"

namespace weir::curl {

namespace {

CurlLibrary load() {
  // The GnuTLS build has the same ABI and is what some minimal images carry.
  DynamicLibrary library({"libcurl", {"libcurl.so.4", "libcurl-gnutls.so.4"}, "", "libcurl4"});
  CurlLibrary table{};
  CURLcode (*global_init)(long) = nullptr;
  library.resolve("curl_global_init", global_init);
  library.resolve("curl_easy_init", table.easy_init);
  library.resolve("curl_easy_cleanup", table.easy_cleanup);
  library.resolve("curl_easy_reset", table.easy_reset);
  library.resolve("curl_easy_setopt", table.easy_setopt);
  library.resolve("curl_easy_getinfo", table.easy_getinfo);
  library.resolve("curl_easy_strerror", table.easy_strerror);
  library.resolve("curl_slist_append", table.slist_append);
  library.resolve("curl_slist_free_all", table.slist_free_all);
  library.resolve("curl_multi_init", table.multi_init);
  library.resolve("curl_multi_cleanup", table.multi_cleanup);
  library.resolve("curl_multi_add_handle", table.multi_add_handle);
  library.resolve("curl_multi_remove_handle", table.multi_remove_handle);
  library.resolve("curl_multi_perform", table.multi_perform);
  library.resolve("curl_multi_poll", table.multi_poll);
  library.resolve("curl_multi_info_read", table.multi_info_read);
  library.resolve("curl_multi_strerror", table.multi_strerror);
  library.resolve("curl_version_info", table.version_info);
  // From here on the library runs code of its own; it stays loaded for the
  // life of the process, as handles cached in thread_local storage may
  // outlive any scope we could unload it from.
  library.keep_loaded();
  // curl_global_init is not thread-safe; running it inside the guarded
  // initialisation of a function-local static makes it happen exactly once.
  if (CURLcode code = global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK)
    throw Error(ErrorKind::runtime,
                std::string("libcurl could not initialise: ") + table.easy_strerror(code));
  return table;
}

}  // namespace

const CurlLibrary& curl_library() {
  // A throwing initialiser leaves the static uninitialised, so a later call
  // (after the user installed the package in a long-running serve) retries.
  static const CurlLibrary table = load();
  return table;
}

std::string loaded_curl_version() {
  const curl_version_info_data* info = curl_library().version_info(CURLVERSION_NOW);
  return info != nullptr && info->version != nullptr ? info->version : "unknown";
}

CURLcode set_long_option(CURL* handle, CURLoption option, long value) {
  return curl_library().easy_setopt(handle, option, value);
}

CURLcode set_offset_option(CURL* handle, CURLoption option, curl_off_t value) {
  return curl_library().easy_setopt(handle, option, value);
}

CURLcode set_string_option(CURL* handle, CURLoption option, const char* value) {
  return curl_library().easy_setopt(handle, option, value);
}

CURLcode set_pointer_option(CURL* handle, CURLoption option, void* value) {
  return curl_library().easy_setopt(handle, option, value);
}

CURLcode set_list_option(CURL* handle, CURLoption option, curl_slist* value) {
  return curl_library().easy_setopt(handle, option, value);
}

CURLcode set_write_callback(CURL* handle, CURLoption option, WriteCallback callback) {
  return curl_library().easy_setopt(handle, option, callback);
}

long get_long_info(CURL* handle, CURLINFO info) {
  long value = 0;
  if (curl_library().easy_getinfo(handle, info, &value) != CURLE_OK) return 0;
  return value;
}

}  // namespace weir::curl
