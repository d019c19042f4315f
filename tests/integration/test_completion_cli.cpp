// `weir completions SHELL` and the hidden `weir __complete KIND` the scripts
// run at TAB time. (The scripts themselves are exercised in bash, zsh and fish
// by tests/shell/completions.sh.)
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using json = nlohmann::json;

TEST_CASE("__complete lists the store's names, sorted, one per line") {
  WeirHome home;
  REQUIRE(home.run({"gateway", "create", "zeta", "--provider", "local", "--model", "extractive"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "alpha", "--provider", "local", "--model", "extractive"}).exit_code == 0);
  REQUIRE(home.run({"collection", "create", "notes"}).exit_code == 0);
  REQUIRE(home.run({"provider", "add", "ollama"}).exit_code == 0);

  auto gateways = home.run({"__complete", "gateways"});
  CHECK(gateways.exit_code == 0);
  CHECK(gateways.out == "alpha\nzeta\n");
  CHECK(gateways.err.empty());
  CHECK(home.run({"__complete", "collections"}).out == "notes\n");
  CHECK(home.run({"__complete", "providers"}).out == "ollama\n");
  CHECK(home.run({"__complete", "sessions"}).out.empty());
  REQUIRE(home.run({"key", "create", "ci"}).exit_code == 0);
  CHECK(home.run({"__complete", "keys"}).out == "ci\n");  // for `weir key revoke <TAB>`
  // The global options may also come after it, as the scripts may pass them.
  CHECK(home.run({"__complete", "gateways", "--json"}).out == "alpha\nzeta\n");
}

TEST_CASE("__complete prints nothing and succeeds on any error, and creates nothing") {
  // Named by this process: other runs of the suite may be under way beside it.
  auto missing = std::filesystem::temp_directory_path() / ("weir-complete-missing-home-" + std::to_string(getpid()));
  std::filesystem::remove_all(missing);

  SUBCASE("a home that does not exist") {
    WeirProcess process({WEIR_BINARY, "--home", missing.string(), "__complete", "gateways"}, "", {});
    auto result = process.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
    CHECK_FALSE(std::filesystem::exists(missing));
  }
  SUBCASE("a store that is not a database") {
    std::filesystem::create_directories(missing);
    std::ofstream(missing / "weir.db") << "not a database";
    WeirProcess process({WEIR_BINARY, "--home", missing.string(), "__complete", "gateways"}, "", {});
    auto result = process.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
  }
  SUBCASE("no HOME and no --home") {
    WeirProcess process({WEIR_BINARY, "__complete", "gateways"}, "", {{"HOME", ""}, {"XDG_DATA_HOME", ""}});
    auto result = process.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
  }
  SUBCASE("an unknown kind") {
    WeirHome home;
    auto result = home.run({"__complete", "nonsense"});
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
  }
  std::filesystem::remove_all(missing);
}

TEST_CASE("completions prints a script per shell and refuses other shells") {
  WeirHome home;
  auto bash = home.run({"completions", "bash"});
  CHECK(bash.exit_code == 0);
  CHECK(bash.out.find("complete -F _weir weir") != std::string::npos);
  CHECK(home.run({"completions", "zsh"}).out.rfind("#compdef weir\n", 0) == 0);
  CHECK(home.run({"completions", "fish"}).out.find("complete -c weir -f -a '(__weir_complete)'") != std::string::npos);
  // Every registered command is in the script, not only the group argv names.
  auto tree = json::parse(home.run({"__command-tree"}).out);
  REQUIRE(tree["subcommands"].size() >= 5);
  for (const auto& command : tree["subcommands"]) {
    auto name = command["name"].get<std::string>();
    CHECK_MESSAGE(bash.out.find("  '" + name + "')") != std::string::npos, name);
  }
  CHECK(home.run({"completions", "powershell"}).exit_code == 2);
}
