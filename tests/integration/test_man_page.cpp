// man/weir.1 covers the binary's real command line: the test walks the tree
// weir itself reports (`weir __command-tree`, read from the same CLI11
// definitions it parses with) and fails on any command, argument or option
// the committed page does not document in that command's subsection.
#include <doctest/doctest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using json = nlohmann::json;

namespace {

// The page's text with the roff escapes a reader never sees undone, split
// into sections by heading (".SH NAME" -> "NAME", ".SS \"weir gateway\"" ->
// "weir gateway").
std::map<std::string, std::string> man_page_sections(const std::string& path) {
  std::ifstream file(path);
  REQUIRE_MESSAGE(file, "cannot read " << path);
  std::map<std::string, std::string> sections;
  std::string heading = "(preamble)", line;
  while (std::getline(file, line)) {
    std::string text;
    for (size_t index = 0; index < line.size(); ++index) {
      if (line[index] != '\\' || index + 1 == line.size()) {
        text += line[index];
        continue;
      }
      char escape = line[++index];
      if (escape == '-') text += '-';
      else if (escape == 'e') text += '\\';
      else if (escape == 'f' && index + 1 < line.size()) ++index;  // font change
      else if (escape != '&') text += escape;
    }
    if (text.rfind(".SH ", 0) == 0 || text.rfind(".SS ", 0) == 0) {
      heading = text.substr(4);
      if (heading.size() >= 2 && heading.front() == '"' && heading.back() == '"')
        heading = heading.substr(1, heading.size() - 2);
      CHECK_MESSAGE(sections.count(heading) == 0, "the man page has two sections named " << heading);
      sections[heading];
      continue;
    }
    sections[heading] += text + "\n";
  }
  return sections;
}

// `word` appears as a whole word: "--top" is not found in "--top-k".
bool mentions(const std::string& text, const std::string& word) {
  auto is_word_character = [](char character) {
    return std::isalnum(static_cast<unsigned char>(character)) || character == '-' || character == '_';
  };
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    bool starts = at == 0 || !is_word_character(text[at - 1]);
    bool ends = at + word.size() == text.size() || !is_word_character(text[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

std::string upper(std::string text) {
  for (auto& character : text) character = static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
  return text;
}

struct Coverage {
  std::map<std::string, std::string> sections;
  int commands = 0;
  int options = 0;

  void check_options(const json& command, const std::string& section_name) {
    const std::string& section = sections[section_name];
    for (const auto& option : command["options"]) {
      if (option["help"].get<bool>()) continue;  // documented once, under GLOBAL OPTIONS
      for (const auto& name : option["names"]) {
        ++options;
        CHECK_MESSAGE(mentions(section, name.get<std::string>()),
                      "man/weir.1 does not document " << name << " under \"" << section_name << "\"");
      }
    }
    for (const auto& positional : command["positionals"]) {
      ++options;
      auto name = upper(positional["names"][0].get<std::string>());
      CHECK_MESSAGE(mentions(section, name),
                    "man/weir.1 does not document the argument " << name << " under \"" << section_name << "\"");
    }
  }

  void check_command(const json& command) {
    std::string title = "weir";
    for (const auto& word : command["path"]) title += " " + word.get<std::string>();
    ++commands;
    CHECK_MESSAGE(sections.count(title) == 1, "man/weir.1 has no subsection \"" << title << "\"");
    if (sections.count(title) == 0) return;
    check_options(command, title);
    for (const auto& subcommand : command["subcommands"]) check_command(subcommand);
  }
};

}  // namespace

TEST_CASE("the man page documents every command, argument and option weir has") {
  WeirHome home;
  auto dump = home.run({"__command-tree"});
  REQUIRE_MESSAGE(dump.exit_code == 0, dump.err);
  auto tree = json::parse(dump.out);

  Coverage coverage{man_page_sections(std::string(WEIR_SOURCE_DIR) + "/man/weir.1")};
  coverage.check_options(tree, "GLOBAL OPTIONS");
  CHECK(mentions(coverage.sections["GLOBAL OPTIONS"], "--help"));
  for (const auto& command : tree["subcommands"]) coverage.check_command(command);
  // The walk really walked: every registered group, not only the one named in argv.
  CHECK(coverage.commands >= 30);
  CHECK(coverage.options >= 100);
  MESSAGE("checked " << coverage.commands << " commands and " << coverage.options << " options and arguments");
}

TEST_CASE("hidden helper commands are neither in the command tree nor in the man page") {
  WeirHome home;
  auto dump = home.run({"__command-tree"});
  REQUIRE(dump.exit_code == 0);
  for (std::string hidden : {"__complete", "__man-page", "__command-tree"}) {
    CHECK_MESSAGE(dump.out.find(hidden) == std::string::npos, hidden << " is in the command tree");
    std::ifstream page(std::string(WEIR_SOURCE_DIR) + "/man/weir.1");
    std::stringstream text;
    text << page.rdbuf();
    CHECK_MESSAGE(text.str().find(hidden) == std::string::npos, hidden << " is in man/weir.1");
    CHECK_MESSAGE(home.run({"--help"}).out.find(hidden) == std::string::npos, hidden << " is in weir --help");
  }
}

TEST_CASE("the man page's hand-written sections name the environment, files and exit codes") {
  auto sections = man_page_sections(std::string(WEIR_SOURCE_DIR) + "/man/weir.1");
  for (const char* variable : {"WEIR_HOME", "XDG_DATA_HOME", "NO_COLOR", "OPENAI_API_KEY"})
    CHECK_MESSAGE(mentions(sections["ENVIRONMENT"], variable), variable);
  for (const char* file : {"weir.db", "indexes", "prices.json"}) CHECK_MESSAGE(mentions(sections["FILES"], file), file);
  for (const char* code : {"0", "1", "2", "3", "4", "5", "6", "130"})
    CHECK_MESSAGE(mentions(sections["EXIT STATUS"], code), "exit code " << code);
}
