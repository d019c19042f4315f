// DynamicLibrary — a shared library weir loads at run time instead of linking.
//
// weir dlopen()s the libraries only some commands need (libcurl, libxml2,
// libzip) so process start stays well under 2 ms (see core/net/curl_library.hpp).
// A DynamicLibrary is the open handle: the constructor loads the first of the
// given sonames that loads, resolve() looks a symbol up into a typed function
// pointer, and the destructor dlclose()s unless keep_loaded() was called.
// Every failure is Error(runtime) whose message names the library, the soname,
// what weir needs it for, the missing symbol (if one is) and the Debian
// package to install. Loaders resolve everything they need, then keep the
// library loaded for the life of the process: handles cached in thread_local
// storage may outlive any scope it could be unloaded from. A loader that
// throws leaves nothing loaded, so its next call tries again.
#pragma once

#include <string>
#include <vector>

namespace weir {

struct LibraryDescription {
  std::string name;                   // "libzip"
  std::vector<std::string> sonames;   // tried in order: "libzip.so.4"
  std::string needed_for;             // "`weir batch add` needs to read zip archives"; may be empty
  std::string debian_package;         // "libzip4"
};

class DynamicLibrary {
 public:
  // Loads the first of description.sonames that loads (RTLD_NOW |
  // RTLD_LOCAL); Error(runtime) with the first soname's reason when none does.
  explicit DynamicLibrary(LibraryDescription description);
  ~DynamicLibrary();
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;

  // The address of `name`; Error(runtime) naming it when the library lacks it.
  void* symbol(const char* name) const;

  template <typename Function>
  void resolve(const char* name, Function& target) const {
    target = reinterpret_cast<Function>(symbol(name));
  }

  // Never dlclose() this library: it stays loaded until the process ends.
  void keep_loaded() noexcept { keep_loaded_ = true; }

  // The soname that loaded ("libcurl-gnutls.so.4").
  const std::string& soname() const noexcept { return soname_; }

 private:
  [[noreturn]] void fail(const std::string& soname, const std::string& reason) const;

  LibraryDescription description_;
  std::string soname_;
  void* handle_ = nullptr;
  bool keep_loaded_ = false;
};

}  // namespace weir
