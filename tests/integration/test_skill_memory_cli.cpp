// Skills and memory end to end: the built binary, a temporary home and the
// fake OpenAI upstream. The model calls read_skill and the next upstream
// request carries the skill's instructions in the system message; skills
// survive an export/import round trip; a memory saved in one conversation
// with `weir chat --user alice` is found in another, and not by bob.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

struct Fixture {
  FakeUpstream upstream;
  WeirHome home;

  Fixture() {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url()});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  }
  void ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  }
  // The model asks for one server-side tool.
  void enqueue_call(const std::string& id, const std::string& name, const json& arguments) {
    upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, id, name, arguments.dump()),
                                            chunk::finish("tool_calls"), chunk::usage(10, 2), chunk::kDone}));
  }
  void enqueue_text(const std::string& text) {
    upstream.enqueue(ScriptedResponse::sse(
        {chunk::role(), chunk::content(text), chunk::finish("stop"), chunk::usage(10, 2), chunk::kDone}));
  }
  std::string system_of(size_t request) const {
    auto messages = upstream.requests().at(request).json_body["messages"];
    return messages[0]["role"] == "system" ? messages[0]["content"].get<std::string>() : "";
  }
  json last_tool_message(size_t request) const {
    auto messages = upstream.requests().at(request).json_body["messages"];
    for (size_t index = messages.size(); index-- > 0;)
      if (messages[index]["role"] == "tool") return messages[index];
    return nullptr;
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("skills: the model calls read_skill and the next upstream request carries the instructions") {
  Fixture fixture;
  fixture.ok({"skill", "create", "release-notes", "--description", "Write release notes", "--instructions",
              "Group changes under Added, Fixed and Removed."});
  fixture.ok({"skill", "create", "tone", "--description", "House tone", "--instructions", "Be plain."});
  fixture.ok({"gateway", "create", "writer", "--provider", "fake", "--model", "m", "--system", "You write docs.",
              "--skill", "release-notes,tone"});
  fixture.enqueue_call("call_1", "read_skill", {{"slugs", {"release-notes"}}});
  fixture.enqueue_text("## Added\n- skills");
  auto result = fixture.home.run({"--json", "chat", "writer", "notes for 1.2 please"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  REQUIRE(fixture.upstream.request_count() == 2);

  auto first = fixture.system_of(0);
  CHECK(contains(first, "You write docs."));
  CHECK(contains(first, "- release-notes: Write release notes"));
  CHECK(contains(first, "- tone: House tone"));
  CHECK_FALSE(contains(first, "Group changes"));
  auto tools = fixture.upstream.requests()[0].json_body["tools"];
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["function"]["name"] == "read_skill");

  auto second = fixture.system_of(1);
  CHECK(contains(second, "<skill slug=\"release-notes\">\nGroup changes under Added, Fixed and Removed.\n</skill>"));
  CHECK_FALSE(contains(second, "<skill slug=\"tone\">"));
  CHECK(contains(fixture.last_tool_message(1)["content"].get<std::string>(), "Group changes"));
  auto answer = json::parse(result.out);
  CHECK(answer["choices"][0]["message"]["content"] == "## Added\n- skills");
  CHECK(answer["generation_context"]["runned_functions"][0]["name"] == "read_skill");
}

TEST_CASE("skills: a skill read in one turn of a --session stays in the instructions of its later turns") {
  Fixture fixture;
  fixture.ok({"skill", "create", "release-notes", "--description", "Write release notes", "--instructions",
              "Group changes under Added, Fixed and Removed."});
  fixture.ok({"gateway", "create", "writer", "--provider", "fake", "--model", "m", "--skill", "release-notes"});
  fixture.enqueue_call("call_1", "read_skill", {{"slugs", {"release-notes"}}});
  fixture.enqueue_text("## Added");
  fixture.ok({"chat", "writer", "--session", "notes", "notes for 1.2"});
  fixture.enqueue_text("## Fixed");
  fixture.ok({"chat", "writer", "--session", "notes", "and the fixes"});
  REQUIRE(fixture.upstream.request_count() == 3);
  const std::string block = "<skill slug=\"release-notes\">";
  CHECK_FALSE(contains(fixture.system_of(0), block));
  CHECK(contains(fixture.system_of(1), block));
  CHECK(contains(fixture.system_of(2), block));  // the next turn starts with it: no read_skill again

  // Another conversation, and a plain request, start without it.
  fixture.enqueue_text("fresh");
  fixture.ok({"chat", "writer", "--session", "other", "hello"});
  CHECK_FALSE(contains(fixture.system_of(3), block));
  fixture.enqueue_text("plain");
  fixture.ok({"chat", "writer", "hello"});
  CHECK_FALSE(contains(fixture.system_of(4), block));
}

TEST_CASE("skills: a gateway naming a missing skill fails, naming it, at create and at request time") {
  Fixture fixture;
  auto refused = fixture.home.run({"gateway", "create", "g", "--provider", "fake", "--model", "m", "--skill", "ghost"});
  CHECK(refused.exit_code == 3);
  CHECK(contains(refused.err, "'ghost'"));
  fixture.ok({"skill", "create", "ghost", "--description", "d", "--instructions", "i"});
  fixture.ok({"gateway", "create", "g", "--provider", "fake", "--model", "m", "--skill", "ghost"});
  auto in_use = fixture.home.run({"skill", "delete", "ghost"});
  CHECK(in_use.exit_code == 2);
  CHECK(contains(in_use.err, "used by gateways: g"));
  fixture.ok({"skill", "delete", "ghost", "--force"});
  auto chat = fixture.home.run({"chat", "g", "hi"});
  CHECK(chat.exit_code == 3);
  CHECK(contains(chat.err, "'ghost'"));
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("skills: export then import into another home gives the same skills; bad lines are numbered") {
  Fixture fixture;
  fixture.ok({"skill", "create", "a.one", "--description", "First", "--instructions", "Line 1\nLine 2",
              "--allowed-tool", "memory_save", "--allowed-tool", "memory_search"});
  fixture.ok({"skill", "create", "b_two", "--description", "Second", "--instructions", "Only \"quoted\" text"});
  auto exported = fixture.home.run({"skill", "export"});
  REQUIRE_MESSAGE(exported.exit_code == 0, exported.err);

  WeirHome other;
  auto imported = other.run({"--json", "skill", "import", "-"}, exported.out + "{\"slug\": \"bad/slug\"}\n");
  CHECK(imported.exit_code == 0);
  auto report = json::parse(imported.out);
  CHECK(report["created"] == 2);
  CHECK(report["rejected"] == 1);
  CHECK(report["errors"][0]["line"] == 3);
  CHECK(contains(imported.err, "line 3:"));
  auto again = other.run({"skill", "export"});
  CHECK(again.out == exported.out);

  auto strict = other.run({"skill", "import", "--strict", "-"}, "{\"slug\": \"c\", \"description\": \"d\", "
                                                                 "\"instructions\": \"i\"}\nnot json\n");
  CHECK(strict.exit_code == 2);
  CHECK(other.run({"skill", "show", "c"}).exit_code == 3);
}

TEST_CASE("memory: saved in one conversation, found in another for the same user, invisible to another user") {
  Fixture fixture;
  fixture.ok({"gateway", "create", "assistant", "--provider", "fake", "--model", "m", "--builtin-tool", "memory"});

  // Conversation 1, alice: the model saves a memory.
  fixture.enqueue_call("call_1", "memory_save", {{"text", "Alice's favourite tea is sencha"}});
  fixture.enqueue_text("Noted.");
  auto saved = fixture.home.run({"chat", "assistant", "--user", "alice", "remember: I like sencha"});
  REQUIRE_MESSAGE(saved.exit_code == 0, saved.err);
  auto tool_names = fixture.upstream.requests()[0].json_body["tools"];
  REQUIRE(tool_names.size() == 4);
  CHECK(contains(fixture.last_tool_message(1)["content"].get<std::string>(), "\"saved\""));

  // Conversation 2, alice again (a new process, no session): the memory is found.
  fixture.enqueue_call("call_2", "memory_search", {{"query", "tea"}});
  fixture.enqueue_text("Sencha.");
  auto found = fixture.home.run({"chat", "assistant", "--user", "alice", "which tea do I like?"});
  REQUIRE_MESSAGE(found.exit_code == 0, found.err);
  auto memories = json::parse(fixture.last_tool_message(3)["content"].get<std::string>())["memories"];
  REQUIRE(memories.size() == 1);
  CHECK(memories[0]["text"] == "Alice's favourite tea is sencha");

  // Bob asks the same: nothing.
  fixture.enqueue_call("call_3", "memory_search", {{"query", "tea"}});
  fixture.enqueue_text("I don't know.");
  auto bob = fixture.home.run({"chat", "assistant", "--user", "bob", "which tea do I like?"});
  REQUIRE_MESSAGE(bob.exit_code == 0, bob.err);
  CHECK(json::parse(fixture.last_tool_message(5)["content"].get<std::string>())["memories"].empty());

  // No user at all: a clear failed call the model sees.
  fixture.enqueue_call("call_4", "memory_search", {{"query", "tea"}});
  fixture.enqueue_text("I can't remember things here.");
  auto nobody = fixture.home.run({"--json", "chat", "assistant", "which tea?"});
  REQUIRE_MESSAGE(nobody.exit_code == 0, nobody.err);
  auto failed = json::parse(nobody.out)["generation_context"]["runned_functions"][0];
  CHECK(failed["success"] == false);
  CHECK(contains(fixture.last_tool_message(7)["content"].get<std::string>(), "names no user"));

  // The CLI sees alice's memory and not bob's, and can delete it.
  auto listed = fixture.home.run({"--json", "memory", "list", "--user", "alice"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  auto list = json::parse(listed.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["shared"] == false);
  auto id = std::to_string(list[0]["id"].get<long long>());
  CHECK(fixture.home.run({"memory", "show", id, "--user", "bob"}).exit_code == 3);
  CHECK(fixture.home.run({"memory", "delete", id, "--user", "bob"}).exit_code == 3);
  auto shown = fixture.home.run({"--json", "memory", "show", id, "--user", "alice"});
  CHECK(json::parse(shown.out)["gateway"] == "assistant");
  fixture.ok({"memory", "delete", id, "--user", "alice"});
  CHECK(json::parse(fixture.home.run({"--json", "memory", "list", "--user", "alice"}).out).empty());
}

TEST_CASE("memory over HTTP: the body's user owns what the model saves") {
  Fixture fixture;
  fixture.ok({"gateway", "create", "assistant", "--provider", "fake", "--model", "m", "--builtin-tool", "memory"});
  fixture.enqueue_call("call_1", "memory_save", {{"text", "Carol is on call on Fridays"}, {"shared", true}});
  fixture.enqueue_text("Noted.");
  ServeProcess serve(fixture.home);
  json body = {{"model", "assistant"},
               {"stream", true},
               {"user", "carol"},
               {"messages", {{{"role", "user"}, {"content", "remember my on-call day"}}}}};
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", body.dump(), {});
  CHECK(reply.status == 200);
  CHECK(contains(reply.body, "Noted."));
  REQUIRE(fixture.upstream.request_count() == 2);
  CHECK(contains(fixture.last_tool_message(1)["content"].get<std::string>(), "\"shared\":true"));
  auto listed = fixture.home.run({"--json", "memory", "list", "--user", "carol"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  auto list = json::parse(listed.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["text"] == "Carol is on call on Fridays");
  CHECK(list[0]["shared"] == true);
}
