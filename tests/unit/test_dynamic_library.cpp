#include <doctest/doctest.h>

#include <string>

#include "core/dynamic_library.hpp"
#include "core/error.hpp"

using weir::DynamicLibrary;
using weir::Error;
using weir::ErrorKind;

namespace {

// The message a failed load or lookup throws, checked to be Error(runtime).
std::string failure(const weir::LibraryDescription& description, const char* symbol = nullptr) {
  try {
    DynamicLibrary library(description);
    if (symbol != nullptr) library.symbol(symbol);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::runtime);
    return error.what();
  }
  FAIL("no error");
  return {};
}

}  // namespace

TEST_CASE("dynamic library: loads the first soname that loads and resolves typed symbols") {
  DynamicLibrary library({"libc", {"libweir-no-such-library.so.0", "libc.so.6"}, "", "libc6"});
  CHECK(library.soname() == "libc.so.6");
  size_t (*length)(const char*) = nullptr;
  library.resolve("strlen", length);
  REQUIRE(static_cast<bool>(length));
  CHECK(length("weir") == 4);
}

TEST_CASE("dynamic library: a library that loads under no soname names it, its use and the package") {
  std::string message = failure({"libweirtest", {"libweir-no-such-library.so.0", "libweir-no-such-library.so.1"},
                                 "the tests need to check this message", "libweirtest0"});
  CHECK(message.find("libweirtest (libweir-no-such-library.so.0), which the tests need to check this message, "
                     "could not be loaded: ") == 0);
  CHECK(message.find("libweir-no-such-library.so.0: cannot open shared object file") != std::string::npos);
  CHECK(message.find("; install the Debian package libweirtest0") != std::string::npos);
}

TEST_CASE("dynamic library: a missing symbol names the library, the symbol and the package") {
  std::string message = failure({"libc", {"libc.so.6"}, "", "libc6"}, "weir_no_such_function");
  CHECK(message == "libc (libc.so.6) could not be loaded: it has no symbol weir_no_such_function; "
                   "install the Debian package libc6");
}
