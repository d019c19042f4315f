// The engine's tool loop in process, where a test can see every delta: the
// server-tool activity events of a stream, and a client tool's results
// continuing a conversation (the CLI cannot send `tool` messages).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/error.hpp"
#include "core/store/database.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

struct EngineFixture {
  FakeUpstream upstream;
  WeirHome home;

  EngineFixture() {
    REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"}).exit_code == 0);
    REQUIRE(home.run({"collection", "create", "docs"}).exit_code == 0);
    std::string corpus = json({{"docid", "keys"}, {"text", "API keys are rotated every ninety days."}}).dump() + "\n";
    REQUIRE(home.run({"collection", "import", "docs", "-"}, corpus).exit_code == 0);
    auto created = home.run({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model", "--collection",
                             "docs", "--strategy", "query_function"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }
};

}  // namespace

TEST_CASE("streamed server-tool activity is its own deltas, never answer text") {
  EngineFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("Let me look. "),
                                                  chunk::tool_call(0, "call_1", "docs_search", "{\"search_terms\":"),
                                                  chunk::tool_call(0, "", "", "[\"rotation\"]}"),
                                                  chunk::finish("tool_calls"), chunk::usage(10, 2), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("Ninety days."), chunk::finish("stop"),
                                                  chunk::usage(30, 3), chunk::kDone}));
  weir::Database database(fixture.home.path() + "/weir.db");
  weir::Engine engine(database, weir::resolve_paths(fixture.home.path()));
  weir::ChatInput input;
  input.target = "g";
  input.messages = json::array({{{"role", "user"}, {"content", "How often are keys rotated?"}}});

  std::vector<weir::StreamDelta> deltas;
  auto result = engine.run(input, [&](const weir::StreamDelta& delta) { deltas.push_back(delta); }, weir::CancelToken());

  std::string text;
  std::vector<std::string> events;
  int finishes = 0, usages = 0;
  for (const auto& delta : deltas) {
    CHECK(delta.tool_calls.empty());  // the server's own call never reaches the caller
    if (delta.server_tool) {
      CHECK(delta.content.empty());
      CHECK(delta.server_tool->to_json()["name"] == "docs_search");
      CHECK(delta.server_tool->id == "call_1");
      CHECK(delta.server_tool->arguments == "{\"search_terms\":[\"rotation\"]}");
      events.push_back(delta.server_tool->state);
    }
    text += delta.content;
    if (delta.finish_reason) {
      ++finishes;
      CHECK(*delta.finish_reason == "stop");
    }
    if (delta.usage) {
      ++usages;
      CHECK(delta.usage->prompt_tokens == 40);
    }
  }
  CHECK(events == std::vector<std::string>{"started", "succeeded"});
  CHECK(text == "Let me look. Ninety days.");
  CHECK(finishes == 1);
  CHECK(usages == 1);
  CHECK(result.response["choices"][0]["message"]["content"] == "Let me look. Ninety days.");
  CHECK(result.response["generation_context"]["runned_functions"].size() == 1);
}

TEST_CASE("a client tool's results continue the conversation") {
  EngineFixture fixture;
  weir::Database database(fixture.home.path() + "/weir.db");
  weir::Engine engine(database, weir::resolve_paths(fixture.home.path()));
  json weather = json::array({{{"type", "function"},
                               {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}});

  // The model calls the client's tool and a server tool in one round: the
  // client gets its call alone, renumbered, and the turn ends.
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::tool_call(0, "call_s", "docs_search", "{\"search_terms\":[\"x\"]}"),
       chunk::tool_call(1, "call_w", "get_weather", "{\"city\":"), chunk::tool_call(1, "", "", "\"Oslo\"}"),
       chunk::finish("tool_calls"), chunk::kDone}));
  weir::ChatInput input;
  input.target = "g";
  input.overrides = {{"tools", weather}};
  input.messages = json::array({{{"role", "user"}, {"content", "Weather in Oslo?"}}});
  std::vector<weir::ToolCallFragment> forwarded;
  auto first = engine.run(
      input, [&](const weir::StreamDelta& delta) {
        for (const auto& fragment : delta.tool_calls) forwarded.push_back(fragment);
      },
      weir::CancelToken());
  REQUIRE(!forwarded.empty());
  for (const auto& fragment : forwarded) CHECK(fragment.index == 0);
  auto message = first.response["choices"][0]["message"];
  CHECK(first.response["choices"][0]["finish_reason"] == "tool_calls");
  REQUIRE(message["tool_calls"].size() == 1);
  CHECK(message["tool_calls"][0]["id"] == "call_w");

  fixture.upstream.enqueue(ScriptedResponse::text_answer("It is sunny in Oslo.", true));
  input.messages.push_back(message);
  input.messages.push_back({{"role", "tool"}, {"tool_call_id", "call_w"}, {"content", "sunny, 21 C"}});
  auto second = engine.run(input, [](const weir::StreamDelta&) {}, weir::CancelToken());
  CHECK(second.response["choices"][0]["message"]["content"] == "It is sunny in Oslo.");
  auto body = fixture.upstream.requests().back().json_body;
  auto sent = body["messages"];
  REQUIRE(sent.size() == 3);
  CHECK(sent[1] == message);
  CHECK(sent[2] == json({{"role", "tool"}, {"tool_call_id", "call_w"}, {"content", "sunny, 21 C"}}));
  CHECK(body["tools"].size() == 2);
}

TEST_CASE("cancellation between rounds stops the loop") {
  EngineFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_1", "docs_search", "{\"search_terms\":[\"keys\"]}"),
                                                  chunk::finish("tool_calls"), chunk::kDone}));
  weir::Database database(fixture.home.path() + "/weir.db");
  weir::Engine engine(database, weir::resolve_paths(fixture.home.path()));
  weir::ChatInput input;
  input.target = "g";
  input.messages = json::array({{{"role", "user"}, {"content", "keys?"}}});
  weir::CancelToken cancel;
  auto cancel_on_activity = [&](const weir::StreamDelta& delta) {
    if (delta.server_tool && delta.server_tool->state == "succeeded") cancel.cancel();
  };
  try {
    engine.run(input, cancel_on_activity, cancel);
    FAIL("expected an interruption");
  } catch (const weir::Error& error) {
    CHECK(error.kind() == weir::ErrorKind::interrupted);
  }
  CHECK(fixture.upstream.request_count() == 1);
}
