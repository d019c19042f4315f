// The README's examples, run, so the README cannot drift from the product.
//
// Every ```sh block of README.md runs in bash, in order, in one fresh weir
// home and one working directory (a later block may use what an earlier one
// made, as a reader following along would), against an in-process fake
// OpenAI-compatible upstream. A block that cannot run here says why in a
// `<!-- readme-test: skip REASON -->` comment on the line before it (setup
// and install steps, a server left running, a provider kind the fake does not
// speak). Command synopses, with their [OPTIONS] and PLACEHOLDERS, go in
// ```text blocks.
//
// The harness changes one thing: every `weir provider add` gets the fake's
// base URL (a preset would otherwise reach the real service), so a README
// example must not depend on a provider's URL. Everything else runs as typed;
// any failing command fails the test, naming its README line.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using weir::testing::FakeUpstream;
using weir::testing::WeirHome;
using weir::testing::WeirProcess;

namespace {

struct ShellBlock {
  int line = 0;  // of the opening fence, 1-based
  std::string text;
};

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The ```sh blocks not marked to be skipped; `skipped` counts the others.
std::vector<ShellBlock> shell_blocks(const std::string& readme, int& skipped) {
  std::vector<ShellBlock> blocks;
  std::istringstream lines(readme);
  std::string line, previous;
  int number = 0;
  ShellBlock* open = nullptr;
  bool in_other_block = false;
  while (std::getline(lines, line)) {
    ++number;
    if (open) {
      if (starts_with(line, "```")) {
        open = nullptr;
      } else {
        open->text += line + "\n";
      }
    } else if (in_other_block) {
      if (starts_with(line, "```")) in_other_block = false;
    } else if (line == "```sh") {
      if (starts_with(previous, "<!-- readme-test: skip")) {
        ++skipped;
        in_other_block = true;
      } else {
        open = &blocks.emplace_back(ShellBlock{number, ""});
      }
    } else if (starts_with(line, "```")) {
      in_other_block = true;
    }
    if (!line.empty()) previous = line;
  }
  return blocks;
}

// Files the examples name, as a reader's working directory would have them.
void write_fixtures(const std::filesystem::path& work) {
  std::filesystem::create_directories(work / "docs");
  std::ofstream(work / "docs" / "keys.md") << "# Keys\n\nAPI keys are rotated every 90 days by the operations team.\n";
  std::ofstream(work / "docs" / "backups.md") << "# Backups\n\nBackups run nightly and are kept for 30 days.\n";
  std::ofstream(work / "README.md") << "# Notes\n\nThe deploy script lives in deploy.sh.\n";
  std::ofstream(work / "deploy.sh") << "#!/bin/sh\nrm -rf $DIR/\n";
  std::ofstream(work / "docs.jsonl") << R"({"docid": "rotation", "text": "Keys are rotated every 90 days."})" << "\n";
  // A 1x1 PNG, for `-a screenshot.png`.
  static const unsigned char png[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
      0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00,
      0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0xc9,
      0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  std::ofstream(work / "screenshot.png", std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
}

// Run before each block: the provider redirect, then stop at the first
// failing command and name it.
constexpr const char* kPrelude = R"sh(set -eo pipefail
weir() {
  if [[ "${1:-} ${2:-}" == "provider add" ]]; then
    local given=() skip_next=0 argument
    for argument in "$@"; do
      if ((skip_next)); then skip_next=0; continue; fi
      case "$argument" in
        --base-url) skip_next=1 ;;
        --base-url=*) ;;
        *) given+=("$argument") ;;
      esac
    done
    command weir "${given[@]}" --base-url "$README_FAKE_BASE_URL"
  else
    command weir "$@"
  fi
}
trap 'echo "README command failed (exit $?): $BASH_COMMAND" >&2' ERR
)sh";

}  // namespace

TEST_CASE("README: every sh example runs against the fake upstream") {
  std::ifstream file(std::string(WEIR_SOURCE_DIR) + "/README.md");
  REQUIRE(file.good());
  std::stringstream readme;
  readme << file.rdbuf();
  int skipped = 0;
  auto blocks = shell_blocks(readme.str(), skipped);
  // Deleting the examples, or marking them all skipped, must not pass quietly.
  REQUIRE(blocks.size() >= 15);
  MESSAGE(blocks.size() << " sh blocks run, " << skipped << " skipped (each says why)");

  FakeUpstream upstream;
  WeirHome home;
  const std::filesystem::path work = std::filesystem::path(home.path()) / "work";
  write_fixtures(work);
  const std::string binary_directory = std::filesystem::path(WEIR_BINARY).parent_path().string();
  std::map<std::string, std::string> environment = {
      {"WEIR_HOME", home.path()},
      {"PATH", binary_directory + ":" + std::string(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin")},
      {"README_FAKE_BASE_URL", upstream.base_url()},
      {"OPENAI_API_KEY", "sk-readme-test"},
      {"GROQ_API_KEY", "gsk-readme-test"},
      {"OPENROUTER_API_KEY", "or-readme-test"},
      {"HOME", home.path()},
  };

  for (const auto& block : blocks) {
    CAPTURE(block.line);
    std::string script = std::string(kPrelude) + "cd '" + work.string() + "'\n" + block.text;
    WeirProcess shell({"/bin/bash", "-c", script}, "", environment);
    auto result = shell.wait();
    INFO("README.md line " << block.line << ":\n" << block.text << "\nstdout:\n" << result.out << "\nstderr:\n"
                           << result.err);
    CHECK(result.exit_code == 0);
  }
}
