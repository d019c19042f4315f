// `weir version`: what a bug report needs to say which weir and which
// libraries were in use.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using json = nlohmann::json;

TEST_CASE("version prints weir's version and commit and the SQLite, libcurl and hnswlib in use") {
  WeirHome home;
  auto text = home.run({"version"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.rfind(std::string("weir ") + WEIR_VERSION + " (commit ", 0) == 0);
  CHECK(text.out.find("\nsqlite 3.") != std::string::npos);
  CHECK(text.out.find("\nlibcurl ") != std::string::npos);
  CHECK(text.out.find("\nhnswlib ") != std::string::npos);

  auto machine = home.run({"--json", "version"});
  REQUIRE(machine.exit_code == 0);
  auto details = json::parse(machine.out);
  CHECK(details["version"] == WEIR_VERSION);
  CHECK_FALSE(details["commit"].get<std::string>().empty());
  CHECK(details["sqlite"].get<std::string>().rfind("3.", 0) == 0);
  CHECK(details["libcurl"].get<std::string>().find('.') != std::string::npos);  // loaded: "7.88.1"
  CHECK_FALSE(details["hnswlib"].get<std::string>().empty());
}
