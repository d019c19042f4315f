// require_safe_bind: loopback hosts never open the store (a loopback
// `weir serve` touches no SQLite code before its first request, which keeps
// its memory after start low); other hosts need an API key in the store.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/policy/bind_policy.hpp"
#include "core/store/database.hpp"
#include "core/store/key_repository.hpp"

using namespace weir;

TEST_CASE("bind policy: a loopback host is allowed without opening the store") {
  int opened = 0;
  auto store = [&]() -> Database& {
    ++opened;
    throw Error(ErrorKind::runtime, "the store must not be opened for a loopback bind");
  };
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    CAPTURE(host);
    CHECK(require_safe_bind(host, store));
  }
  CHECK(opened == 0);
}

TEST_CASE("bind policy: another host needs an API key in the store") {
  auto directory = std::filesystem::temp_directory_path() / ("weir-bind-" + std::to_string(getpid()));
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  {
    Database database((directory / "weir.db").string());
    int opened = 0;
    auto store = [&]() -> Database& {
      ++opened;
      return database;
    };
    try {
      require_safe_bind("0.0.0.0", store);
      FAIL("a bind to 0.0.0.0 without keys was allowed");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::usage);
      CHECK(std::string(error.what()).find("weir key create") != std::string::npos);
    }
    CHECK(opened == 1);
    KeyRepository(database).create("lan", false, std::nullopt, std::nullopt);
    CHECK_FALSE(require_safe_bind("0.0.0.0", store));
    CHECK(opened == 2);
  }
  std::filesystem::remove_all(directory);
}
