#include "core/dynamic_library.hpp"

#include <dlfcn.h>

#include <utility>

#include "core/error.hpp"

namespace weir {

DynamicLibrary::DynamicLibrary(LibraryDescription description) : description_(std::move(description)) {
  std::string first_reason;
  for (const std::string& soname : description_.sonames) {
    handle_ = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) {
      soname_ = soname;
      return;
    }
    // The first soname is the usual one: its reason is the one worth showing.
    if (first_reason.empty()) {
      const char* reason = dlerror();
      first_reason = reason != nullptr ? reason : soname + " not found";
    }
  }
  fail(description_.sonames.empty() ? std::string() : description_.sonames.front(), first_reason);
}

DynamicLibrary::~DynamicLibrary() {
  if (handle_ != nullptr && !keep_loaded_) dlclose(handle_);
}

void* DynamicLibrary::symbol(const char* name) const {
  void* address = dlsym(handle_, name);
  if (address == nullptr) {
    dlerror();  // clears the error; its text would only repeat the path and the name
    fail(soname_, std::string("it has no symbol ") + name);
  }
  return address;
}

void DynamicLibrary::fail(const std::string& soname, const std::string& reason) const {
  std::string message = description_.name + " (" + soname + ")";
  if (!description_.needed_for.empty()) message += ", which " + description_.needed_for + ",";
  throw Error(ErrorKind::runtime, message + " could not be loaded: " + reason + "; install the Debian package " +
                                      description_.debian_package);
}

}  // namespace weir
