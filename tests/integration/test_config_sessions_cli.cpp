// `weir config`, the chat defaults it feeds (default-gateway, output, color),
// `chat -m/-s/-c` and `weir sessions`, end to end: the built binary, a
// temporary home (whose config.json is the config file: --home chooses it),
// and an in-process fake upstream.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

struct Fixture {
  FakeUpstream upstream;
  WeirHome home;

  Fixture() {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url()});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
    for (auto name : {"assistant", "other"}) {
      auto created = home.run({"gateway", "create", name, "--provider", "fake", "--model", std::string(name) + "-model",
                               "--system", "You are " + std::string(name) + "."});
      REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    }
  }
  ProcessResult ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  ProcessResult chat(const std::vector<std::string>& arguments, const std::string& answer = "fine") {
    upstream.enqueue(ScriptedResponse::text_answer(answer, true));
    std::vector<std::string> full = {"chat"};
    full.insert(full.end(), arguments.begin(), arguments.end());
    return ok(full);
  }
  json last_body() const {
    auto requests = upstream.requests();
    REQUIRE(!requests.empty());
    return requests.back().json_body;
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json message(const std::string& role, const std::string& content) { return {{"role", role}, {"content", content}}; }

}  // namespace

TEST_CASE("config: path, set, get, list, unset; the file is home/config.json with --home") {
  Fixture fixture;
  auto path = fixture.ok({"config", "path"}).out;
  CHECK(path == fixture.home.path() + "/config.json\n");
  CHECK(contains(fixture.ok({"paths"}).out, "config: " + fixture.home.path() + "/config.json"));
  CHECK_FALSE(std::filesystem::exists(fixture.home.path() + "/config.json"));

  CHECK(fixture.ok({"config", "get", "color"}).out == "auto\n");  // the default
  CHECK(fixture.ok({"config", "set", "color", "off"}).out == "color = off\n");
  CHECK(fixture.ok({"config", "get", "color"}).out == "off\n");
  fixture.ok({"config", "set", "default-gateway", "assistant"});
  auto listed = json::parse(fixture.ok({"config", "list", "--json"}).out);
  REQUIRE(listed["keys"].size() == 3);
  CHECK(listed["keys"][0]["key"] == "default-gateway");
  CHECK(listed["keys"][0]["value"] == "assistant");
  CHECK(listed["keys"][1]["key"] == "output");
  CHECK(listed["keys"][1]["value"] == "markdown");
  CHECK(listed["keys"][1]["set"] == false);
  CHECK(listed["keys"][2]["value"] == "off");
  auto table = fixture.ok({"config", "list"}).out;
  CHECK(contains(table, "default-gateway"));
  CHECK(contains(table, "auto|on|off"));

  CHECK(fixture.ok({"config", "unset", "color"}).out == "color unset\n");
  CHECK(fixture.ok({"config", "unset", "color"}).out == "color was not set\n");
  CHECK(fixture.ok({"config", "get", "color"}).out == "auto\n");
  std::ifstream file(fixture.home.path() + "/config.json");
  CHECK(json::parse(file) == json{{"default-gateway", "assistant"}});
}

TEST_CASE("config: unknown keys, invalid values, missing gateways and a malformed file are refused") {
  Fixture fixture;
  auto unknown = fixture.home.run({"config", "set", "colour", "on"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.err, "unknown config key 'colour'; the keys are: default-gateway, output, color"));
  CHECK(fixture.home.run({"config", "get", "theme"}).exit_code == 2);
  CHECK(fixture.home.run({"config", "unset", "theme"}).exit_code == 2);

  auto invalid = fixture.home.run({"config", "set", "output", "html"});
  CHECK(invalid.exit_code == 2);
  CHECK(contains(invalid.err, "invalid value 'html' for output: use markdown or raw"));

  auto missing = fixture.home.run({"config", "set", "default-gateway", "assistent"});
  CHECK(missing.exit_code == 3);
  CHECK(contains(missing.err, "did you mean: assistant"));
  CHECK_FALSE(std::filesystem::exists(fixture.home.path() + "/config.json"));  // nothing written

  auto unset_get = fixture.home.run({"config", "get", "default-gateway"});
  CHECK(unset_get.exit_code == 3);
  CHECK(contains(unset_get.err, "`weir config set default-gateway VALUE`"));

  auto json_error = fixture.home.run({"--json", "config", "set", "color", "yes"});
  CHECK(json_error.exit_code == 2);
  CHECK(json::parse(json_error.err)["error"]["kind"] == "usage");

  std::ofstream(fixture.home.path() + "/config.json") << "{\"color\": \"on\",";
  auto malformed = fixture.home.run({"chat", "assistant", "hi"});
  CHECK(malformed.exit_code == 2);
  CHECK(contains(malformed.err, fixture.home.path() + "/config.json is not valid JSON"));
  CHECK(fixture.upstream.requests().empty());
  // set refuses to overwrite a file it cannot read; path still answers.
  CHECK(fixture.home.run({"config", "set", "color", "off"}).exit_code == 2);
  CHECK(fixture.ok({"config", "path"}).out == fixture.home.path() + "/config.json\n");
}

TEST_CASE("chat: a default gateway makes the target optional; a first word naming a gateway still picks it") {
  Fixture fixture;
  auto no_default = fixture.home.run({"chat", "hello", "there"});
  CHECK(no_default.exit_code == 3);
  CHECK(contains(no_default.err, "no gateway 'hello'"));
  CHECK(contains(no_default.err, "weir config set default-gateway NAME"));
  auto nothing = fixture.home.run({"chat"}, "piped question");
  CHECK(nothing.exit_code == 2);
  CHECK(contains(nothing.err, "no gateway to chat with"));
  CHECK(contains(nothing.err, "weir config set default-gateway NAME"));
  CHECK(fixture.upstream.requests().empty());

  fixture.ok({"config", "set", "default-gateway", "assistant"});
  CHECK(fixture.chat({"hello", "there"}, "hi!").out == "hi!\n");
  auto body = fixture.last_body();
  CHECK(body["model"] == "assistant-model");
  CHECK(body["messages"].back() == message("user", "hello there"));

  fixture.chat({"other", "hello"});
  CHECK(fixture.last_body()["model"] == "other-model");
  CHECK(fixture.last_body()["messages"].back() == message("user", "hello"));

  // Piped input with no words goes to the default too.
  fixture.upstream.enqueue(ScriptedResponse::text_answer("ok", true));
  fixture.ok({"chat"}, "from a pipe");
  CHECK(fixture.last_body()["model"] == "assistant-model");

  // A default deleted since is named as the default.
  fixture.ok({"config", "set", "default-gateway", "other"});
  fixture.ok({"gateway", "delete", "other"});
  auto stale = fixture.home.run({"chat", "hi"});
  CHECK(stale.exit_code == 3);
  CHECK(contains(stale.err, "(the default-gateway)"));
}

TEST_CASE("chat: -m talks to a model or gateway with no positional target; -s adds a system message") {
  Fixture fixture;
  fixture.chat({"-m", "@fake/tiny-model", "-s", "terse", "assistant", "hi"});
  auto body = fixture.last_body();
  CHECK(body["model"] == "tiny-model");
  // -m: every word is the message, even one naming a gateway.
  CHECK(body["messages"] == json::array({message("system", "terse"), message("user", "assistant hi")}));

  // On top of a gateway: after the gateway's own instructions.
  fixture.chat({"assistant", "-s", "Answer in French.", "hi"});
  body = fixture.last_body();
  CHECK(body["model"] == "assistant-model");
  CHECK(body["messages"] == json::array({message("system", "You are assistant."),
                                         message("system", "Answer in French."), message("user", "hi")}));
  fixture.chat({"--model", "other", "hi"});
  CHECK(fixture.last_body()["model"] == "other-model");
  auto bad = fixture.home.run({"chat", "-m", "@fake", "hi"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "@provider/model"));
}

TEST_CASE("chat -c continues the last conversation, named or not, with its target") {
  Fixture fixture;
  auto nothing = fixture.home.run({"chat", "-c", "hi"});
  CHECK(nothing.exit_code == 3);
  CHECK(contains(nothing.err, "no conversation to continue yet"));
  // `last` is kept for chats without --session: naming a new session so is refused.
  auto reserved = fixture.home.run({"chat", "assistant", "--session", "last", "hi"});
  CHECK(reserved.exit_code == 2);
  CHECK(contains(reserved.err, "the session name 'last' is kept for the latest chat without --session"));
  CHECK(fixture.upstream.requests().empty());

  fixture.chat({"other", "-s", "be brief", "one"}, "first answer");
  fixture.chat({"-c", "two"});
  auto body = fixture.last_body();
  CHECK(body["model"] == "other-model");  // the conversation's target
  CHECK(body["messages"] == json::array({message("system", "You are other."), message("system", "be brief"),
                                         message("user", "one"), message("assistant", "first answer"),
                                         message("user", "two")}));

  // A new chat without --session replaces `last`.
  fixture.chat({"assistant", "fresh start"}, "fresh answer");
  fixture.chat({"--continue", "again"});
  body = fixture.last_body();
  CHECK(body["model"] == "assistant-model");
  CHECK(body["messages"] == json::array({message("system", "You are assistant."), message("user", "fresh start"),
                                         message("assistant", "fresh answer"), message("user", "again")}));

  // The most recently used session, named ones included; a dry run keeps nothing.
  fixture.chat({"other", "--session", "work", "named"}, "named answer");
  fixture.ok({"chat", "assistant", "--dry-run", "not kept"});
  fixture.chat({"-c", "more"});
  body = fixture.last_body();
  CHECK(body["model"] == "other-model");
  CHECK(body["messages"][1] == message("user", "named"));
  // --session NAME alone continues that session with its target.
  fixture.chat({"--session", "work", "and more"});
  CHECK(fixture.last_body()["model"] == "other-model");
  CHECK(fixture.last_body()["messages"].size() == 6);

  auto both = fixture.home.run({"chat", "-c", "--session", "work", "x"});
  CHECK(both.exit_code == 2);
  CHECK(contains(both.err, "give one of them"));

  // --session last continues the latest unnamed chat, like -c when it is the latest.
  fixture.chat({"assistant", "unnamed"}, "unnamed answer");
  fixture.chat({"--session", "last", "continued"});
  CHECK(fixture.last_body()["messages"] == json::array({message("system", "You are assistant."), message("user", "unnamed"),
                                                        message("assistant", "unnamed answer"),
                                                        message("user", "continued")}));
}

TEST_CASE("sessions: list, show, export, rename and delete, with --json, and their errors") {
  Fixture fixture;
  auto empty = fixture.ok({"sessions", "list"});
  CHECK(empty.out.empty());
  CHECK(contains(empty.err, "no sessions yet"));
  CHECK(json::parse(fixture.ok({"sessions", "list", "--json"}).out) == json::array());

  fixture.chat({"assistant", "--session", "deploy", "is rm -rf safe?"}, "No.");
  fixture.chat({"--session", "deploy", "and with set -u?"}, "Better.");
  fixture.chat({"other", "quick one"}, "Sure.");

  auto list = json::parse(fixture.ok({"sessions", "list", "--json"}).out);
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "last");  // most recently used first
  CHECK(list[0]["target"] == "other");
  CHECK(list[0]["turns"] == 1);
  CHECK(list[1]["name"] == "deploy");
  CHECK(list[1]["target"] == "assistant");
  CHECK(list[1]["turns"] == 2);
  auto table = fixture.ok({"sessions", "list"}).out;
  CHECK(contains(table, "NAME"));
  CHECK(contains(table, "LAST USED"));
  CHECK(contains(table, "deploy"));

  auto shown = fixture.ok({"sessions", "show", "deploy"}).out;
  CHECK(contains(shown, "session deploy: assistant, 2 turns"));
  CHECK(contains(shown, "\nuser: is rm -rf safe?\n\nassistant: No.\n"));
  auto shown_json = json::parse(fixture.ok({"sessions", "show", "deploy", "--json"}).out);
  CHECK(shown_json["messages"].size() == 4);

  auto markdown = fixture.ok({"sessions", "export", "deploy"}).out;
  CHECK(markdown.rfind("# deploy\n\nTarget: `assistant` · 2 turns · last used ", 0) == 0);
  CHECK(contains(markdown, "\n## user\n\nis rm -rf safe?\n\n## assistant\n\nNo.\n"));
  auto exported = json::parse(fixture.ok({"sessions", "export", "deploy", "--format", "json"}).out);
  CHECK(exported["name"] == "deploy");
  CHECK(exported["messages"][3] == message("assistant", "Better."));
  CHECK(json::parse(fixture.ok({"--json", "sessions", "export", "deploy"}).out) == exported);
  CHECK(fixture.home.run({"sessions", "export", "deploy", "--format", "html"}).exit_code == 2);

  auto missing = fixture.home.run({"sessions", "show", "deplyo"});
  CHECK(missing.exit_code == 3);
  CHECK(contains(missing.err, "no session 'deplyo'; did you mean: deploy"));

  CHECK(fixture.ok({"sessions", "rename", "last", "quick"}).out == "renamed session last to quick\n");
  auto reserved = fixture.home.run({"sessions", "rename", "quick", "last"});
  CHECK(reserved.exit_code == 2);
  CHECK(contains(reserved.err, "the session name 'last' is kept for the latest chat without --session"));
  auto taken = fixture.home.run({"sessions", "rename", "quick", "deploy"});
  CHECK(taken.exit_code == 2);
  CHECK(contains(taken.err, "a session named 'deploy' exists already"));
  CHECK(fixture.home.run({"sessions", "rename", "nope", "x"}).exit_code == 3);
  CHECK(fixture.home.run({"sessions", "rename", "quick", "bad name"}).exit_code == 2);
  CHECK(json::parse(fixture.ok({"--json", "sessions", "rename", "quick", "kept"}).out) ==
        json{{"renamed", "quick"}, {"name", "kept"}});

  CHECK(fixture.ok({"sessions", "delete", "kept"}).out == "deleted session kept\n");
  CHECK(fixture.home.run({"sessions", "delete", "kept"}).exit_code == 3);
  CHECK(json::parse(fixture.ok({"--json", "sessions", "delete", "deploy"}).out) == json{{"deleted", "deploy"}});
  CHECK(json::parse(fixture.ok({"sessions", "list", "--json"}).out) == json::array());
}

TEST_CASE("chat: color=on styles Markdown even when piped, output=raw never does, and the default prints raw") {
  Fixture fixture;
  const std::string answer = "# Title\n\n```sh\nls\n```\n";
  CHECK(fixture.chat({"assistant", "hi"}, answer).out == answer);  // piped, NO_COLOR: as written
  fixture.ok({"config", "set", "color", "on"});
  auto styled = fixture.chat({"assistant", "hi"}, answer).out;
  CHECK(styled != answer);
  CHECK(contains(styled, "\033["));
  CHECK(fixture.chat({"assistant", "--raw", "hi"}, answer).out == answer);
  fixture.ok({"config", "set", "output", "raw"});
  CHECK(fixture.chat({"assistant", "hi"}, answer).out == answer);
}
