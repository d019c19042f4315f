// The chat REPL on a real (pseudo-)terminal: line editing and history,
// slash commands, Ctrl-C during an answer, and the spinner, which only a
// terminal ever sees.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/terminal_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
namespace chunk = openai_chunk;

namespace {

constexpr const char* kLeft = "\x1b[D";
constexpr const char* kUp = "\x1b[A";
constexpr const char* kSpinnerFrame = "⠋";

struct ReplFixture {
  FakeUpstream upstream;
  WeirHome home;

  ReplFixture() {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url()});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
    auto created = home.run({"gateway", "create", "assistant", "--provider", "fake", "--model", "fake-model"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }
  std::unique_ptr<TerminalProcess> start(std::vector<std::string> arguments = {"chat", "assistant"}) const {
    std::vector<std::string> full = {WEIR_BINARY, "--home", home.path()};
    full.insert(full.end(), arguments.begin(), arguments.end());
    return std::make_unique<TerminalProcess>(full, home.environment);
  }
  // The last user message of request `index`.
  std::string user_text(size_t index) const {
    auto requests = upstream.requests();
    REQUIRE(requests.size() > index);
    return requests[index].json_body["messages"].back()["content"].get<std::string>();
  }
};

std::string file_text(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("chat REPL: left-arrow edits the line, up-arrow recalls it, and the history file is private") {
  ReplFixture fixture;
  auto terminal = fixture.start();
  REQUIRE(terminal->wait_for_prompt("> "));
  // "wrld", three steps left (after the w), "o": the model gets "world".
  terminal->type(std::string("say wrld") + kLeft + kLeft + kLeft + "o\r");
  REQUIRE_MESSAGE(terminal->wait_for("Hello from the fake upstream."), terminal->output());
  CHECK(fixture.user_text(0) == "say world");
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type(std::string(kUp) + "\r");
  REQUIRE_MESSAGE(terminal->wait_for("Hello from the fake upstream."), terminal->output());
  CHECK(fixture.user_text(1) == "say world");
  REQUIRE(terminal->wait_for_prompt("> "));
  // Leaving with /exit, not Ctrl-D: a Ctrl-D typed in the instant before the
  // editor takes the terminal is an end-of-file the terminal then drops.
  terminal->type("/exit\r");
  CHECK_MESSAGE(terminal->wait() == 0, terminal->output());

  auto history = fixture.home.path() + "/chat_history";
  struct stat status {};
  REQUIRE(stat(history.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
  CHECK(file_text(history).find("world") != std::string::npos);  // libedit's format escapes the space

  // The next REPL starts with the last run's lines.
  auto again = fixture.start();
  REQUIRE(again->wait_for_prompt("> "));
  again->type(std::string(kUp) + kUp + "!\r");  // past "/exit", the last line typed
  REQUIRE(fixture.upstream.wait_for_requests(3));
  CHECK(fixture.user_text(2) == "say world!");
  REQUIRE(again->wait_for_prompt("> "));
  again->type("/exit\r");
  CHECK_MESSAGE(again->wait() == 0, again->output());
}

TEST_CASE("chat REPL: /help lists the commands; an unknown /foo is refused and never sent") {
  ReplFixture fixture;
  auto terminal = fixture.start();
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("/help\r");
  REQUIRE_MESSAGE(terminal->wait_for("/system TEXT"), terminal->output());
  CHECK(terminal->wait_for("/save NAME"));
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("/foo bar\r");
  REQUIRE_MESSAGE(terminal->wait_for("unknown command /foo"), terminal->output());
  CHECK(terminal->wait_for("/help"));
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("/model\r");
  CHECK(terminal->wait_for("/model needs TARGET"));
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("/exit\r");
  CHECK_MESSAGE(terminal->wait() == 0, terminal->output());
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("chat REPL: /system, /model, /save and /reset shape what is sent") {
  ReplFixture fixture;
  auto terminal = fixture.start();
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("/system answer in French\r");
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("hi\r");
  REQUIRE(terminal->wait_for("Hello from the fake upstream."));
  REQUIRE(terminal->wait_for_prompt("> "));
  auto first = fixture.upstream.requests().at(0).json_body["messages"];
  REQUIRE(first.size() == 2);
  CHECK(first[0] == json({{"role", "system"}, {"content", "answer in French"}}));

  terminal->type("/save trip\r");
  REQUIRE_MESSAGE(terminal->wait_for("saved as session trip"), terminal->output());
  REQUIRE(terminal->wait_for_prompt("> "));
  // /save kept the first turn (with its system message) as a session.
  auto resumed = fixture.home.run({"chat", "assistant", "--session", "trip", "--dry-run", "more"});
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.err);
  auto sent = json::parse(resumed.out)["body"]["messages"];
  REQUIRE(sent.size() == 4);
  CHECK(sent[0]["content"] == "answer in French");
  CHECK(sent[1]["content"] == "hi");
  terminal->type("/model @fake/other-model\r");
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("//etc is a directory\r");
  REQUIRE(terminal->wait_for("Hello from the fake upstream."));
  REQUIRE(terminal->wait_for_prompt("> "));
  auto second = fixture.upstream.requests().at(1).json_body;
  CHECK(second["model"] == "other-model");
  CHECK(second["messages"].size() == 4);  // system, hi, the answer, the new message
  CHECK(second["messages"].back()["content"] == "/etc is a directory");

  terminal->type("/reset\r");
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("fresh\r");
  REQUIRE(terminal->wait_for("Hello from the fake upstream."));
  REQUIRE(terminal->wait_for_prompt("> "));
  CHECK(fixture.upstream.requests().at(2).json_body["messages"].size() == 1);
  terminal->type("/exit\r");
  CHECK_MESSAGE(terminal->wait() == 0, terminal->output());
}

TEST_CASE("chat REPL: a spinner until the first token on a terminal, Ctrl-C stops the answer, never a spinner when piped") {
  ReplFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role()}, 30s));
  auto terminal = fixture.start();
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("tell me a long story\r");
  REQUIRE(fixture.upstream.wait_for_stalls(1));
  REQUIRE_MESSAGE(terminal->wait_for(kSpinnerFrame), terminal->output());
  terminal->type("\x03");  // Ctrl-C: the terminal sends SIGINT
  REQUIRE_MESSAGE(terminal->wait_for("(stopped)"), terminal->output());
  CHECK(terminal->output().find("\r\x1b[K") != std::string::npos);  // the spinner was erased
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("again\r");  // the REPL still works
  REQUIRE(terminal->wait_for("Hello from the fake upstream."));
  REQUIRE(terminal->wait_for_prompt("> "));
  terminal->type("/exit\r");
  CHECK_MESSAGE(terminal->wait() == 0, terminal->output());
  REQUIRE(fixture.upstream.request_count() == 2);
  CHECK(fixture.user_text(1) == "again");

  auto piped = fixture.home.run({"chat", "assistant", "hi"});
  REQUIRE_MESSAGE(piped.exit_code == 0, piped.err);
  CHECK(piped.out == "Hello from the fake upstream.\n");
  CHECK(piped.err.find(kSpinnerFrame) == std::string::npos);
  CHECK(piped.err.find('\r') == std::string::npos);
}

TEST_CASE("chat: Markdown is framed and bold on a terminal as it streams; raw when piped, with NO_COLOR or --raw") {
  ReplFixture fixture;
  // Split mid-marker, as tokens are: the renderer must hold a line's start.
  std::vector<std::string> pieces = {"# Ti", "tle\n``", "`python\nprint(1)\n", "```\n- it", "em\ndone"};
  std::string answer;
  for (const auto& piece : pieces) answer += piece;
  auto stream = [&] {
    std::vector<std::string> payloads = {chunk::role()};
    for (const auto& piece : pieces) payloads.push_back(chunk::content(piece));
    payloads.push_back(chunk::finish("stop"));
    payloads.push_back(chunk::kDone);
    return ScriptedResponse::sse(payloads);
  };
  fixture.upstream.enqueue(stream());
  fixture.upstream.enqueue(stream());
  fixture.upstream.enqueue(stream());
  fixture.upstream.enqueue(stream());

  std::vector<std::string> full = {WEIR_BINARY, "--home", fixture.home.path(), "chat", "assistant", "show code"};
  {
    TerminalProcess terminal(full, {{"NO_COLOR", ""}});
    CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
    const auto& shown = terminal.output();  // the terminal writes "\n" as "\r\n"
    CHECK_MESSAGE(shown.find("\x1b[1m# Title\x1b[0m\r\n") != std::string::npos, shown);
    CHECK(shown.find("┌─ python ────\r\n│ print(1)\r\n└──────\r\n") != std::string::npos);
    CHECK(shown.find("• item\r\ndone\r\n") != std::string::npos);
    CHECK(shown.find("```") == std::string::npos);
  }
  {
    TerminalProcess terminal(full, {{"NO_COLOR", "1"}});
    CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
    CHECK(terminal.output().find("```python\r\nprint(1)\r\n```\r\n- item") != std::string::npos);
  }
  {
    auto raw = full;
    raw.push_back("--raw");
    TerminalProcess terminal(raw, {{"NO_COLOR", ""}});
    CHECK_MESSAGE(terminal.wait() == 0, terminal.output());
    CHECK(terminal.output().find("```python\r\nprint(1)\r\n```\r\n- item") != std::string::npos);
  }
  auto piped = fixture.home.run({"chat", "assistant", "show code"});
  REQUIRE_MESSAGE(piped.exit_code == 0, piped.err);
  CHECK(piped.out == answer + "\n");
}
