// Grounded gateways end to end: the `rag` block and its flags, every retrieval
// strategy's exact upstream messages, query rewrites and their fallback, the
// server-side tool loop, client tool pass-through, and the offline extractive
// provider — the built binary, a temporary home, and the fake upstream.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

std::string line(const json& document) { return document.dump() + "\n"; }

const std::string kKeysText =
    "API keys should be rotated every ninety days. Revoke a leaked key at once with weir key revoke.";
const std::string kCorpus =
    line({{"docid", "keys"}, {"text", kKeysText}, {"__ref", "security.md"}}) +
    line({{"docid", "backups"}, {"text", "Backups of the store run nightly and are kept for thirty days."}}) +
    line({{"docid", "colours"}, {"text", "The terminal colours follow NO_COLOR and only appear on a TTY."}});

const std::string kPreamble =
    "Documents retrieved from the knowledge collections for the message below. Use those that are relevant, "
    "cite them by collection and docid, and say so when none of them answers it.";

std::string keys_block() {
  return "<retrieved_documents>\n" + kPreamble + "\n<document collection=\"docs\" docid=\"keys\" ref=\"security.md\">\n" +
         kKeysText + "\n</document>\n</retrieved_documents>\n\n";
}

struct GroundedFixture {
  FakeUpstream upstream;
  WeirHome home;

  GroundedFixture() {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
    auto created = home.run({"collection", "create", "docs", "--context", "The docs collection holds weir's operations handbook."});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    auto imported = home.run({"collection", "import", "docs", "-"}, kCorpus);
    REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  }
  void gateway(const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"gateway", "create", "g", "--provider", "fake", "--model", "fake-model",
                                          "--system", "You are terse.", "--collection", "docs"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    auto created = home.run(arguments);
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }
  json chat_json(const std::vector<std::string>& arguments) {
    std::vector<std::string> full = {"--json", "chat"};
    full.insert(full.end(), arguments.begin(), arguments.end());
    auto result = home.run(full);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return json::parse(result.out);
  }
  json body(size_t index) const {
    auto requests = upstream.requests();
    REQUIRE(index < requests.size());
    return requests[index].json_body;
  }
};

const std::string kSystem = "You are terse.\n\nThe docs collection holds weir's operations handbook.";

}  // namespace

TEST_CASE("gateway flags build the rag block; update merges into it; show prints its defaults") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "user_rewrite", "--window", "2", "--top", "3", "--min-score",
                   "0.3", "--reranker", "rrf", "--include-references", "--rewrite-model", "fake/rewriter"});
  auto shown = json::parse(fixture.home.run({"--json", "gateway", "show", "g"}).out);
  json expected = {{"collections", {"docs"}}, {"strategy", "user_rewrite"}, {"window", 2},
                   {"top", 3}, {"min_score", 0.3}, {"reranker", "rrf"}, {"include_references", true},
                   {"rewrite_model", "fake/rewriter"}, {"max_tool_iterations", 8}};
  CHECK(shown["rag"] == expected);

  auto updated = fixture.home.run({"gateway", "update", "g", "--top", "8", "--unset", "rag.rewrite_model"});
  REQUIRE_MESSAGE(updated.exit_code == 0, updated.err);
  shown = json::parse(fixture.home.run({"--json", "gateway", "show", "g"}).out);
  CHECK(shown["rag"]["top"] == 8);
  CHECK(shown["rag"]["strategy"] == "user_rewrite");  // kept
  CHECK(shown["rag"]["collections"] == json::array({"docs"}));
  CHECK(shown["rag"]["rewrite_model"].is_null());

  auto exported = json::parse(fixture.home.run({"gateway", "export", "g"}).out);
  CHECK_FALSE(exported.dump().find("max_tool_iterations") != std::string::npos);  // only what was set

  auto missing = fixture.home.run({"gateway", "update", "g", "--collection", "nope"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("nope") != std::string::npos);

  auto bad = fixture.home.run({"gateway", "update", "g", "--strategy", "psychic"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("rag.strategy") != std::string::npos);
  bad = fixture.home.run({"gateway", "update", "g", "--rewrite-model", "no-slash"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("PROVIDER/MODEL") != std::string::npos);
  bad = fixture.home.run({"gateway", "create", "h", "--provider", "fake", "--model", "m", "--top", "3"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("at least one collection") != std::string::npos);

  exported["rag"]["collections"] = json::array({"docs", "elsewhere"});
  auto applied = fixture.home.run({"gateway", "apply", "-f", "-"}, exported.dump());
  CHECK(applied.exit_code == 3);
  CHECK(applied.err.find("elsewhere") != std::string::npos);

  auto detached = fixture.home.run({"gateway", "update", "g", "--unset", "rag"});
  REQUIRE_MESSAGE(detached.exit_code == 0, detached.err);
  shown = json::parse(fixture.home.run({"--json", "gateway", "show", "g"}).out);
  CHECK(shown["rag"].is_null());
}

TEST_CASE("plain: documents lead the last user message, the collection context ends the system message") {
  GroundedFixture fixture;
  fixture.gateway({"--top", "1"});
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Every ninety days.", true));
  auto response = fixture.chat_json({"g", "How often should API keys be rotated?"});
  json expected_messages = json::array(
      {{{"role", "system"}, {"content", kSystem}},
       {{"role", "user"}, {"content", keys_block() + "How often should API keys be rotated?"}}});
  CHECK(fixture.body(0)["messages"] == expected_messages);
  auto retrieval = response["generation_context"]["retrieval"];
  CHECK(retrieval["strategy"] == "plain");
  CHECK(retrieval["query"] == "How often should API keys be rotated?");
  REQUIRE(retrieval["documents"].size() == 1);
  CHECK(retrieval["documents"][0]["docid"] == "keys");
  CHECK(retrieval["documents"][0]["ref"] == "security.md");
}

TEST_CASE("no results: nothing is injected, the context still reaches the system message") {
  GroundedFixture fixture;
  fixture.gateway({"--min-score", "0.5"});
  fixture.upstream.enqueue(ScriptedResponse::text_answer("No idea.", true));
  auto response = fixture.chat_json({"g", "zebra xylophone quokka"});
  json expected_messages = json::array({{{"role", "system"}, {"content", kSystem}},
                                        {{"role", "user"}, {"content", "zebra xylophone quokka"}}});
  CHECK(fixture.body(0)["messages"] == expected_messages);
  CHECK(response["generation_context"]["retrieval"]["documents"] == json::array());
}

TEST_CASE("concatenate: the last N user messages are the query; only the last user message gets documents") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "concatenate", "--window", "2", "--top", "1"});
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Hello.", true));
  fixture.chat_json({"g", "--session", "s", "hello there"});
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Sure.", true));
  fixture.chat_json({"g", "--session", "s", "I have a question about API keys"});
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Ninety days.", true));
  auto response = fixture.chat_json({"g", "--session", "s", "how often to rotate them?"});
  CHECK(response["generation_context"]["retrieval"]["query"] ==
        "I have a question about API keys\nhow often to rotate them?");  // window 2: "hello there" is left out
  json expected_messages = json::array({{{"role", "system"}, {"content", kSystem}},
                                        {{"role", "user"}, {"content", "hello there"}},
                                        {{"role", "assistant"}, {"content", "Hello."}},
                                        {{"role", "user"}, {"content", "I have a question about API keys"}},
                                        {{"role", "assistant"}, {"content", "Sure."}},
                                        {{"role", "user"}, {"content", keys_block() + "how often to rotate them?"}}});
  CHECK(fixture.body(2)["messages"] == expected_messages);
}

TEST_CASE("user_rewrite: one rewrite request, its own usage line, then the search with the rewritten query") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "user_rewrite", "--window", "2", "--top", "1", "--rewrite-model", "fake/rewriter"});
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("API keys", "stop", 40, 6)));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Hi.", true));
  fixture.chat_json({"g", "--session", "s", "we talked about API keys"});
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("\"API key rotation interval\"", "stop", 40, 6)));
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("Ninety days."), chunk::finish("stop"), chunk::usage(100, 4), chunk::kDone}));
  auto response = fixture.chat_json({"g", "--session", "s", "how often for those?"});

  auto rewrite = fixture.body(2);
  json expected_rewrite = {
      {"model", "rewriter"},
      {"stream", false},
      {"messages",
       json::array({{{"role", "system"},
                     {"content",
                      "You turn the latest request of a conversation into one standalone search query for a document "
                      "search engine. Resolve pronouns and references using the earlier messages, keep the important "
                      "names and terms, and leave out greetings and filler. Answer with the query alone on one line: "
                      "no quotes, no explanation."}},
                    {{"role", "user"},
                     {"content", "Conversation:\nuser: we talked about API keys\nuser: how often for those?\n\nSearch query:"}}})}};
  CHECK(rewrite == expected_rewrite);

  auto retrieval = response["generation_context"]["retrieval"];
  CHECK(retrieval["query"] == "API key rotation interval");  // quotes stripped
  CHECK_FALSE(retrieval.contains("rewrite_error"));
  CHECK(fixture.body(3)["messages"].back()["content"] == keys_block() + "how often for those?");

  auto lines = response["generation_context"]["generated_usage"];
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["sku"] == "fake/rewriter:input_tokens");
  CHECK(lines[0]["quantity"] == 40);
  CHECK(lines[0]["description"].get<std::string>().find("query rewrite") != std::string::npos);
  CHECK(lines[1]["sku"] == "fake/rewriter:output_tokens");
  CHECK(lines[1]["quantity"] == 6);
  CHECK(lines[2]["sku"] == "fake/fake-model:input_tokens");
  CHECK(lines[2]["quantity"] == 100);
}

TEST_CASE("full_rewrite reads the last N×2 messages of both roles") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "full_rewrite", "--window", "1", "--top", "1"});  // rewrites with the gateway's model
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("API keys", "stop", 30, 3)));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Keys are in the handbook.", true));
  fixture.chat_json({"g", "--session", "s", "where are API keys described?"});
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("API key rotation", "stop", 30, 3)));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Every ninety days.", true));
  auto response = fixture.chat_json({"g", "--session", "s", "and how often are they rotated?"});
  auto rewrite = fixture.body(2);
  CHECK(rewrite["model"] == "fake-model");
  CHECK(rewrite["stream"] == false);
  CHECK(rewrite["messages"][1]["content"] ==
        "Conversation:\nassistant: Keys are in the handbook.\nuser: and how often are they rotated?\n\nSearch query:");
  CHECK(response["generation_context"]["retrieval"]["query"] == "API key rotation");
  CHECK(response["generation_context"]["generated_usage"][0]["description"].get<std::string>().find(
            "full_rewrite") != std::string::npos);
}

TEST_CASE("a failed rewrite falls back to plain, says why, and still answers") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "user_rewrite", "--top", "1", "--rewrite-model", "fake/rewriter"});
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      400, {{"error", {{"message", "model rewriter does not exist"}, {"type", "invalid_request_error"}}}}));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Every ninety days.", true));
  auto result = fixture.home.run({"chat", "g", "How often should API keys be rotated?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "Every ninety days.\n");
  CHECK(result.err.find("query rewrite failed") != std::string::npos);
  CHECK(result.err.find("rewriter does not exist") != std::string::npos);
  CHECK(fixture.body(1)["messages"].back()["content"] == keys_block() + "How often should API keys be rotated?");

  auto logs = json::parse(fixture.home.run({"logs", "--json"}).out);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["status"] == "ok");
  CHECK(logs[0]["metadata"]["rewrite_error"].get<std::string>().find("query rewrite failed") != std::string::npos);

  fixture.upstream.enqueue(ScriptedResponse::json_body(500, {{"error", {{"message", "down"}}}}));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Again.", true));
  auto response = fixture.chat_json({"g", "How often should API keys be rotated?"});
  auto retrieval = response["generation_context"]["retrieval"];
  CHECK(retrieval["query"] == "How often should API keys be rotated?");
  CHECK(retrieval["rewrite_error"].get<std::string>().find("searched with the last user message") != std::string::npos);
  CHECK(response["generation_context"]["generated_usage"].size() == 2);  // no rewrite line
}

TEST_CASE("query_function: a fragmented streamed tool call runs inside weir and the answer streams") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "query_function", "--top", "1"});
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_1", "docs_search", "{\"search_"),
                                                  chunk::tool_call(0, "", "", "terms\": [\"key "),
                                                  chunk::tool_call(0, "", "", "rotation\"]}"), chunk::finish("tool_calls"),
                                                  chunk::usage(50, 10), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("Every "), chunk::content("ninety days."),
                                                  chunk::finish("stop"), chunk::usage(80, 6), chunk::kDone}));
  auto result = fixture.home.run({"chat", "g", "How often should API keys be rotated?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "Every ninety days.\n");  // no tool activity on stdout
  CHECK(result.err.empty());                    // and none on a non-terminal stderr

  auto first = fixture.body(0);
  json expected_first = json::array({{{"role", "system"}, {"content", kSystem}},
                                     {{"role", "user"}, {"content", "How often should API keys be rotated?"}}});
  CHECK(first["messages"] == expected_first);  // nothing injected: the model searches
  REQUIRE(first["tools"].size() == 1);
  CHECK(first["tools"][0]["function"]["name"] == "docs_search");
  CHECK(first["tools"][0]["function"]["parameters"]["required"] == json::array({"search_terms"}));

  auto second = fixture.body(1);
  REQUIRE(second["messages"].size() == 4);
  json expected_call = {{"role", "assistant"},
                        {"content", nullptr},
                        {"tool_calls", json::array({{{"id", "call_1"},
                                                     {"type", "function"},
                                                     {"function", {{"name", "docs_search"},
                                                                   {"arguments", "{\"search_terms\": [\"key rotation\"]}"}}}}})}};
  CHECK(second["messages"][2] == expected_call);
  json expected_tool = {{"role", "tool"},
                        {"tool_call_id", "call_1"},
                        {"content", "<retrieved_documents>\n<document collection=\"docs\" docid=\"keys\" ref=\"security.md\">\n" +
                                        kKeysText + "\n</document>\n</retrieved_documents>"}};
  CHECK(second["messages"][3] == expected_tool);
  CHECK(second["tools"] == first["tools"]);

  // --json: the final completion, the function runs, and the summed usage.
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_2", "docs_search", "{\"search_terms\":[\"backups\"]}"),
                                                  chunk::finish("tool_calls"), chunk::usage(50, 10), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("Nightly."), chunk::finish("stop"),
                                                  chunk::usage(80, 6), chunk::kDone}));
  auto response = fixture.chat_json({"g", "When do backups run?"});
  CHECK(response["choices"][0]["message"]["content"] == "Nightly.");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK_FALSE(response["choices"][0]["message"].contains("tool_calls"));
  CHECK(response["usage"]["prompt_tokens"] == 130);
  CHECK(response["usage"]["completion_tokens"] == 16);
  auto functions = response["generation_context"]["runned_functions"];
  REQUIRE(functions.size() == 1);
  CHECK(functions[0]["name"] == "docs_search");
  CHECK(functions[0]["id"] == "call_2");
  CHECK(functions[0]["arguments"] == json({{"search_terms", {"backups"}}}));
  CHECK(functions[0]["success"] == true);
  CHECK(functions[0]["duration_ms"].is_number());
  CHECK(response["generation_context"]["retrieval"]["strategy"] == "query_function");
}

TEST_CASE("query_function: bad tool arguments go back to the model as a failed call") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "query_function"});
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_1", "docs_search", "{\"terms\":1}"),
                                                  chunk::finish("tool_calls"), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Sorry.", true));
  auto response = fixture.chat_json({"g", "keys?"});
  auto functions = response["generation_context"]["runned_functions"];
  REQUIRE(functions.size() == 1);
  CHECK(functions[0]["success"] == false);
  CHECK(functions[0]["error"].get<std::string>().find("search_terms") != std::string::npos);
  auto tool_message = fixture.body(1)["messages"].back();
  CHECK(tool_message["role"] == "tool");
  CHECK(tool_message["content"].get<std::string>().rfind("error: ", 0) == 0);
}

TEST_CASE("query_function: the iteration cap ends a model that never stops searching") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "query_function", "--max-tool-iterations", "2"});
  for (int round = 0; round < 3; ++round)
    fixture.upstream.enqueue(ScriptedResponse::sse(
        {chunk::role(), chunk::tool_call(0, "call_" + std::to_string(round), "docs_search", "{\"search_terms\":[\"keys\"]}"),
         chunk::finish("tool_calls"), chunk::kDone}));
  auto result = fixture.home.run({"chat", "g", "keys?"});
  CHECK(result.exit_code == 4);
  CHECK(result.err.find("after 2 rounds") != std::string::npos);
  CHECK(result.err.find("--max-tool-iterations") != std::string::npos);
  CHECK(fixture.upstream.request_count() == 3);
  auto logs = json::parse(fixture.home.run({"logs", "--json"}).out);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["status"] == "error");
}

TEST_CASE("client tools pass through: the turn ends with finish_reason tool_calls") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "query_function"});
  json weather = json::array({{{"type", "function"},
                               {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}});
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_w", "get_weather", "{\"city\":"),
                                                  chunk::tool_call(0, "", "", "\"Oslo\"}"), chunk::finish("tool_calls"),
                                                  chunk::usage(20, 5), chunk::kDone}));
  auto response = fixture.chat_json({"g", "weather in Oslo?", "-o", "tools=" + weather.dump()});
  CHECK(fixture.upstream.request_count() == 1);
  auto tools = fixture.body(0)["tools"];
  REQUIRE(tools.size() == 2);
  CHECK(tools[0]["function"]["name"] == "get_weather");  // the client's first
  CHECK(tools[1]["function"]["name"] == "docs_search");
  CHECK(response["choices"][0]["finish_reason"] == "tool_calls");
  auto calls = response["choices"][0]["message"]["tool_calls"];
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["function"]["name"] == "get_weather");
  CHECK(calls[0]["function"]["arguments"] == "{\"city\":\"Oslo\"}");
  CHECK(response["generation_context"]["runned_functions"] == json::array());
}

TEST_CASE("local/extractive answers offline from the collection, with sources, and says when nothing matched") {
  GroundedFixture fixture;
  auto created = fixture.home.run({"gateway", "create", "offline", "--provider", "local", "--model", "extractive",
                                   "--collection", "docs"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto result = fixture.home.run({"chat", "offline", "How often should API keys be rotated?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out.rfind("API keys should be rotated every ninety days. [docs/keys]\n", 0) == 0);
  CHECK(fixture.upstream.request_count() == 0);

  auto none = fixture.home.run({"chat", "offline", "zebra xylophone quokka"});
  REQUIRE_MESSAGE(none.exit_code == 0, none.err);
  CHECK(none.out.find("Nothing relevant to \"zebra xylophone quokka\" was found in the collection docs") == 0);

  auto response = json::parse(fixture.home.run({"--json", "chat", "offline", "When do backups run?"}).out);
  auto content = response["choices"][0]["message"]["content"].get<std::string>();
  CHECK(content.rfind("Backups of the store run nightly and are kept for thirty days. [docs/backups]", 0) == 0);
  CHECK(response["model"] == "extractive");
  CHECK(response["generation_context"]["retrieval"]["documents"][0]["docid"] == "backups");

  // query_function needs a model that calls tools; the extractive one is searched for.
  REQUIRE(fixture.home.run({"gateway", "update", "offline", "--strategy", "query_function"}).exit_code == 0);
  auto searched = fixture.home.run({"chat", "offline", "When do backups run?"});
  REQUIRE_MESSAGE(searched.exit_code == 0, searched.err);
  CHECK(searched.out.find("[docs/backups]") != std::string::npos);

  auto bare = fixture.home.run({"chat", "@local/extractive", "When do backups run?"});
  REQUIRE_MESSAGE(bare.exit_code == 0, bare.err);
  CHECK(bare.out.find("no collections attached") != std::string::npos);

  auto wrong_model = fixture.home.run({"chat", "@local/gpt", "hi"});
  CHECK(wrong_model.exit_code == 2);
  CHECK(wrong_model.err.find("only the model 'extractive'") != std::string::npos);
}

TEST_CASE("weir chat shows server-side tool activity on a terminal's stderr, never on stdout") {
  GroundedFixture fixture;
  fixture.gateway({"--strategy", "query_function", "--top", "1"});
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_1", "docs_search", "{\"search_"),
                                                  chunk::tool_call(0, "", "", "terms\":[\"rotation\"]}"),
                                                  chunk::finish("tool_calls"), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Every ninety days.", true));
  // script(1) gives weir a terminal for stderr; stdout goes to a file.
  const std::string answer_file = fixture.home.path() + "/answer.txt";
  const std::string command = "script -qec \"NO_COLOR=1 '" WEIR_BINARY "' --home '" + fixture.home.path() +
                              "' chat g 'How often are keys rotated?' > '" + answer_file + "'\" /dev/null < /dev/null";
  FILE* terminal = popen(command.c_str(), "r");
  REQUIRE(terminal != nullptr);
  std::string shown;
  char buffer[4096];
  while (size_t read = std::fread(buffer, 1, sizeof buffer, terminal)) shown.append(buffer, read);
  CHECK(pclose(terminal) == 0);
  CHECK(shown.find("[docs_search {\"search_terms\":[\"rotation\"]}]") != std::string::npos);
  CHECK(shown.find("[docs_search succeeded]") != std::string::npos);
  std::ifstream answer(answer_file);
  std::stringstream printed;
  printed << answer.rdbuf();
  CHECK(printed.str() == "Every ninety days.\n");
}
