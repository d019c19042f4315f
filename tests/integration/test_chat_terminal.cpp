// What only a terminal shows of `weir chat` and the imports, driven through a
// pseudo-terminal: /attach in the REPL, the full Markdown rendering (emphasis,
// lists, links, tables) as it streams, the model's control characters made
// harmless, and the import progress bars; and that none of it reaches a pipe.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/terminal_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;
namespace fs = std::filesystem;

namespace {

struct TerminalFixture {
  FakeUpstream upstream;
  WeirHome home;

  TerminalFixture() {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url()});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
    auto created = home.run({"gateway", "create", "assistant", "--provider", "fake", "--model", "fake-model"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }
  std::vector<std::string> command(const std::vector<std::string>& arguments) const {
    std::vector<std::string> full = {WEIR_BINARY, "--home", home.path()};
    full.insert(full.end(), arguments.begin(), arguments.end());
    return full;
  }
  std::string write(const std::string& name, const std::string& text) const {
    auto path = home.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  json user_content(size_t index) const {
    auto requests = upstream.requests();
    REQUIRE(requests.size() > index);
    return requests[index].json_body["messages"].back()["content"];
  }
};

ScriptedResponse streamed(const std::vector<std::string>& pieces) {
  std::vector<std::string> payloads = {chunk::role()};
  for (const auto& piece : pieces) payloads.push_back(chunk::content(piece));
  payloads.push_back(chunk::finish("stop"));
  payloads.push_back(chunk::kDone);
  return ScriptedResponse::sse(payloads);
}

}  // namespace

TEST_CASE("chat REPL: /attach adds a file to the next message only; a missing or too big file attaches nothing") {
  TerminalFixture fixture;
  auto notes = fixture.write("notes.txt", "the launch is on Tuesday\n");
  auto big = fixture.home.path() + "/big.txt";
  std::ofstream(big).close();
  fs::resize_file(big, (size_t{20} << 20) + 1);  // sparse: only its size is read
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Tuesday.", true));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Plain.", true));

  TerminalProcess terminal(fixture.command({"chat", "assistant"}), fixture.home.environment);
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("/attach " + notes + "\r");
  REQUIRE_MESSAGE(terminal.wait_for("(attached notes.txt: text, 25 bytes; it goes with your next message)"),
                  terminal.output());
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("when is the launch?\r");
  REQUIRE_MESSAGE(terminal.wait_for("Tuesday."), terminal.output());
  auto content = fixture.user_content(0);
  REQUIRE(content.is_array());
  REQUIRE(content.size() == 2);
  CHECK(content[0] == json({{"type", "text"}, {"text", "when is the launch?"}}));
  CHECK(content[1] == json({{"type", "text"}, {"text", "File: notes.txt\n\nthe launch is on Tuesday\n"}}));

  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("/attach " + fixture.home.path() + "/missing.txt\r");
  REQUIRE_MESSAGE(terminal.wait_for("missing.txt': no such file; check the path"), terminal.output());
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("/attach " + big + "\r");
  REQUIRE_MESSAGE(terminal.wait_for("more than the limit of"), terminal.output());
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("/attach\r");
  REQUIRE_MESSAGE(terminal.wait_for("/attach needs FILE"), terminal.output());
  REQUIRE(terminal.wait_for_prompt("> "));
  CHECK(fixture.upstream.request_count() == 1);  // no error sent anything
  // The attachment went with one message; the failed ones attached nothing.
  terminal.type("and now?\r");
  REQUIRE_MESSAGE(terminal.wait_for("Plain."), terminal.output());
  CHECK(fixture.user_content(1) == "and now?");
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("/help\r");
  REQUIRE(terminal.wait_for("/attach FILE"));
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("/exit\r");
  CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
}

TEST_CASE("chat REPL: emphasis, lists, links and a table render as the answer streams; raw when piped") {
  TerminalFixture fixture;
  // Split where tokens split: inside markers, inside the table, mid-URL.
  std::vector<std::string> pieces = {"Use **bo", "ld** and `co", "de`.\n1. one\n   - n", "ested\n",
                                     "See [do", "cs](https://x.io/d).\n| k | v", " |\n|---|--:|\n| a | 10 |\n",
                                     "> quo", "te\n---\nend"};
  std::string answer;
  for (const auto& piece : pieces) answer += piece;
  fixture.upstream.enqueue(streamed(pieces));
  fixture.upstream.enqueue(streamed(pieces));

  TerminalProcess terminal(fixture.command({"chat", "assistant"}), {{"NO_COLOR", ""}});
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("show me\r");
  REQUIRE_MESSAGE(terminal.wait_for("end"), terminal.output());
  REQUIRE(terminal.wait_for_prompt("> "));
  terminal.type("/exit\r");
  CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
  const auto& shown = terminal.output();  // the terminal writes "\n" as "\r\n"
  CHECK_MESSAGE(shown.find("Use \x1b[1mbold\x1b[22m and \x1b[36mcode\x1b[39m.\r\n1. one\r\n   ◦ nested\r\n") !=
                    std::string::npos,
                shown);
  CHECK(shown.find("See \x1b[4mdocs\x1b[24m (\x1b[34mhttps://x.io/d\x1b[39m).\r\n") != std::string::npos);
  CHECK(shown.find("┌───┬────┐\r\n│ \x1b[1mk\x1b[22m │  \x1b[1mv\x1b[22m │\r\n├───┼────┤\r\n│ a │ 10 │\r\n└───┴────┘\r\n") !=
        std::string::npos);
  CHECK(shown.find("\x1b[2m▎\x1b[22m quote\r\n────") != std::string::npos);
  CHECK(shown.find("**") == std::string::npos);

  auto piped = fixture.home.run({"chat", "assistant", "show me"});
  REQUIRE_MESSAGE(piped.exit_code == 0, piped.err);
  CHECK(piped.out == answer + "\n");
}

TEST_CASE("chat: the model's escape sequences are shown, never run, on a terminal; piped output keeps them") {
  TerminalFixture fixture;
  const std::string hostile = "a\x1b]0;owned\x07 b\x1b[2J c\r\n";
  for (int run = 0; run < 4; ++run) fixture.upstream.enqueue(streamed({hostile}));
  for (const auto& extra : std::vector<std::vector<std::string>>{{}, {"--raw"}}) {
    auto arguments = fixture.command({"chat", "assistant", "hi"});
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    TerminalProcess terminal(arguments, {{"NO_COLOR", ""}});
    CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
    CHECK_MESSAGE(terminal.output().find("a^[]0;owned^G b^[[2J c\r\n") != std::string::npos, terminal.output());
    CHECK(terminal.output().find("\x1b]0;") == std::string::npos);
  }
  {
    TerminalProcess terminal(fixture.command({"chat", "assistant", "hi"}), {{"NO_COLOR", "1"}});
    CHECK(terminal.wait() == 0);
    CHECK(terminal.output().find("\x1b[2J") == std::string::npos);
  }
  auto piped = fixture.home.run({"chat", "assistant", "hi"});
  CHECK(piped.out == hostile);  // byte for byte (it ends with its own line end)
}

TEST_CASE("collection add and import show a progress bar on a terminal, a summary after it, nothing when piped") {
  TerminalFixture fixture;
  auto created = fixture.home.run({"collection", "create", "docs"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto folder = fixture.home.path() + "/folder";
  fs::create_directories(folder);
  for (int i = 0; i < 3; ++i) std::ofstream(folder + "/f" + std::to_string(i) + ".md") << "# File " << i << "\n\ntext\n";
  auto jsonl = fixture.write("docs.jsonl", "{\"docid\":\"a\",\"text\":\"alpha\"}\n{\"docid\":\"b\",\"text\":\"beta\"}\n");

  {
    TerminalProcess terminal(fixture.command({"collection", "add", "docs", folder}), {});
    CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
    const auto& shown = terminal.output();
    CHECK_MESSAGE(shown.find("\r\x1b[K[") != std::string::npos, shown);  // a bar, drawn in place
    CHECK(shown.find("/3 files") != std::string::npos);
    CHECK(shown.find("read 3 file(s) in ") != std::string::npos);
    CHECK(shown.find("3 file(s) chunked") != std::string::npos);
  }
  {
    TerminalProcess terminal(fixture.command({"collection", "import", "docs", jsonl}), {});
    CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
    const auto& shown = terminal.output();
    CHECK_MESSAGE(shown.find(" documents, ") != std::string::npos, shown);
    CHECK(shown.find("%  1 documents, ") != std::string::npos);  // the first redraw, at once
    CHECK(shown.find("imported 2 documents in ") != std::string::npos);
  }
  {
    TerminalProcess terminal(fixture.command({"--quiet", "collection", "import", "docs", jsonl}), {});
    CHECK(terminal.wait() == 0);
    CHECK(terminal.output().find("imported 2 documents in") == std::string::npos);
  }
  auto added = fixture.home.run({"collection", "add", "docs", folder});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  CHECK(added.err.empty());
  auto imported = fixture.home.run({"collection", "import", "docs", jsonl});
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  CHECK(imported.err.empty());
}
