// `weir gateway ...` and `weir provider ...` end to end, plus the pipeline
// features a gateway configures (templates, files, overrides, context budget).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {
json run_json(const WeirHome& home, const std::vector<std::string>& arguments) {
  auto arguments_with_json = arguments;
  arguments_with_json.insert(arguments_with_json.begin(), "--json");
  auto result = home.run(arguments_with_json);
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return json::parse(result.out);
}
}  // namespace

TEST_CASE("gateway export then apply round-trips to an identical config") {
  WeirHome home;
  REQUIRE(home.run({"gateway", "create", "full", "--provider", "openai", "--model", "gpt-4o", "--description",
                    "everything set", "--system", "sys", "--prompt-template", "Q: {prompt}", "--prefill", "A:",
                    "--stop", "X", "--temperature", "0.7", "--top-p", "0.5", "--top-k", "40", "--presence-penalty",
                    "0.1", "--frequency-penalty", "-0.1", "--seed", "42", "--max-tokens", "100",
                    "--reasoning-effort", "low", "--verbosity", "high", "--overridable", "temperature,stop",
                    "--max-context-tokens", "8000", "--on-overflow", "truncate", "--tool-result-window", "3"})
              .exit_code == 0);
  auto exported = home.run({"gateway", "export", "full"});
  REQUIRE(exported.exit_code == 0);
  auto before = run_json(home, {"gateway", "show", "full"});

  // Into a fresh home: the same gateway, id included.
  WeirHome other;
  auto applied = other.run({"gateway", "apply", "-f", "-"}, exported.out);
  REQUIRE_MESSAGE(applied.exit_code == 0, applied.err);
  CHECK(applied.out.find("created") != std::string::npos);
  CHECK(other.run({"gateway", "export", "full"}).out == exported.out);
  auto after = run_json(other, {"gateway", "show", "full"});
  before.erase("created_at"), before.erase("updated_at"), after.erase("created_at"), after.erase("updated_at");
  CHECK(before == after);

  // Applying again updates in place.
  auto again = other.run({"gateway", "apply", "-f", "-"}, exported.out);
  CHECK(again.out.find("updated") != std::string::npos);
  CHECK(run_json(other, {"gateway", "list"}).size() == 1);
}

TEST_CASE("apply of an invalid file changes nothing") {
  WeirHome home;
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "openai", "--model", "m", "--temperature", "0.5"}).exit_code ==
          0);
  auto original = home.run({"gateway", "export", "g"}).out;
  auto document = json::parse(original);

  SUBCASE("out-of-range value") {
    document["temperature"] = 9;
    auto result = home.run({"gateway", "apply", "-f", "-"}, document.dump());
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("temperature") != std::string::npos);
  }
  SUBCASE("unknown key") {
    document["temprature"] = 0.1;
    auto result = home.run({"gateway", "apply", "-f", "-"}, document.dump());
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("unknown gateway field 'temprature'") != std::string::npos);
  }
  SUBCASE("not JSON") {
    auto result = home.run({"gateway", "apply", "-f", "-"}, "{\"name\": ");
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("not valid JSON") != std::string::npos);
  }
  SUBCASE("missing model") {
    document.erase("model");
    auto result = home.run({"gateway", "apply", "-f", "-"}, document.dump());
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("model") != std::string::npos);
  }
  SUBCASE("missing file") {
    auto result = home.run({"gateway", "apply", "-f", "/nonexistent/gateway.json"});
    CHECK(result.exit_code == 2);
  }
  CHECK(home.run({"gateway", "export", "g"}).out == original);
}

TEST_CASE("gateway validation names the field and what is allowed") {
  WeirHome home;
  struct Case {
    std::vector<std::string> flags;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{"--temperature", "2.5"}, "'temperature' must be from 0 to 2"},
      {{"--top-p", "-1"}, "'top_p' must be from 0 to 1"},
      {{"--max-tokens", "0"}, "'max_tokens' must be from 1"},
      {{"--max-tokens", "ten"}, "--max-tokens takes an integer"},
      {{"--reasoning-effort", "extreme"}, "must be one of none, minimal, low, medium, high"},
      {{"--on-overflow", "ignore"}, "must be one of error, truncate"},
      {{"--prompt-template", "no placeholder"}, "must contain {prompt}"},
      {{"--overridable", "model"}, "names 'model', which a request cannot override"},
      {{"--system-file", "/nonexistent/prompt.md"}, "no such file"},
      {{"--system-url", "ftp://example/x"}, "http:// or https://"},
  };
  for (const auto& test : cases) {
    std::vector<std::string> arguments = {"gateway", "create", "g", "--provider", "openai", "--model", "m"};
    arguments.insert(arguments.end(), test.flags.begin(), test.flags.end());
    auto result = home.run(arguments);
    CHECK_MESSAGE(result.exit_code == 2, test.flags[0]);
    CHECK_MESSAGE(result.err.find(test.expected) != std::string::npos, result.err);
  }
  CHECK(home.run({"gateway", "create", "g", "--model", "m"}).exit_code == 2);
  CHECK(home.run({"gateway", "create", "bad name", "--provider", "openai", "--model", "m"}).exit_code == 2);
  CHECK(home.run({"gateway", "create", "a:b", "--provider", "openai", "--model", "m"}).exit_code == 2);
  CHECK(run_json(home, {"gateway", "list"}).empty());
}

TEST_CASE("gateway show prints every field with its effective default") {
  WeirHome home;
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "openai", "--model", "m"}).exit_code == 0);
  auto shown = run_json(home, {"gateway", "show", "g"});
  for (const char* field : {"id", "name", "slug", "provider", "model", "system", "system_files", "system_urls",
                            "prompt_template", "prefill", "stop", "temperature", "top_p", "top_k",
                            "presence_penalty", "frequency_penalty", "seed", "max_tokens", "reasoning_effort",
                            "verbosity", "overridable", "max_context_tokens", "on_overflow", "tool_result_window"})
    CHECK_MESSAGE(shown.contains(field), field);
  CHECK(shown["on_overflow"] == "error");
  CHECK(shown["temperature"].is_null());
  CHECK(shown["overridable"].size() > 5);
}

TEST_CASE("gateway update, rename, unset and delete") {
  WeirHome home;
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "openai", "--model", "m", "--temperature", "0.5"}).exit_code ==
          0);
  auto id = run_json(home, {"gateway", "show", "g"})["id"];
  REQUIRE(home.run({"gateway", "update", "g", "--model", "m2", "--unset", "temperature", "--name", "h"}).exit_code ==
          0);
  auto shown = run_json(home, {"gateway", "show", "h"});
  CHECK(shown["id"] == id);
  CHECK(shown["model"] == "m2");
  CHECK(shown["temperature"].is_null());
  CHECK(home.run({"gateway", "show", "g"}).exit_code == 3);
  auto bad = home.run({"gateway", "update", "h", "--temperature", "7"});
  CHECK(bad.exit_code == 2);
  CHECK(run_json(home, {"gateway", "show", "h"})["model"] == "m2");
  CHECK(home.run({"gateway", "update", "h"}).exit_code == 2);  // nothing to update
  REQUIRE(home.run({"gateway", "create", "other", "--provider", "openai", "--model", "m"}).exit_code == 0);
  CHECK(home.run({"gateway", "create", "other", "--provider", "openai", "--model", "m"}).exit_code == 2);
  CHECK(home.run({"gateway", "update", "other", "--name", "h"}).exit_code == 2);
  REQUIRE(home.run({"gateway", "delete", "h"}).exit_code == 0);
  CHECK(home.run({"gateway", "delete", "h"}).exit_code == 3);
  CHECK(run_json(home, {"gateway", "list"}).size() == 1);
}

TEST_CASE("providers: presets fill the base URL and key variable; removal protects gateways") {
  WeirHome home;
  auto added = run_json(home, {"provider", "add", "groq"});
  CHECK(added["base_url"] == "https://api.groq.com/openai/v1");
  CHECK(added["api_key_env"] == "GROQ_API_KEY");
  CHECK(home.run({"provider", "add", "custom"}).exit_code == 2);  // no preset, no --base-url
  CHECK(home.run({"provider", "add", "custom", "--base-url", "localhost:1"}).exit_code == 2);
  CHECK(home.run({"provider", "add", "custom", "--kind", "nonsense", "--base-url", "http://x"}).exit_code == 2);
  REQUIRE(home.run({"provider", "add", "custom", "--base-url", "http://127.0.0.1:1/v1/"}).exit_code == 0);
  CHECK(run_json(home, {"provider", "show", "custom"})["base_url"] == "http://127.0.0.1:1/v1");
  CHECK(run_json(home, {"provider", "list"}).size() == 2);
  CHECK(home.run({"provider", "show", "nope"}).exit_code == 3);

  REQUIRE(home.run({"gateway", "create", "g", "--provider", "custom", "--model", "m"}).exit_code == 0);
  auto refused = home.run({"provider", "remove", "custom"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("used by gateways: g") != std::string::npos);
  CHECK(home.run({"provider", "remove", "custom", "--force"}).exit_code == 0);
  CHECK(home.run({"provider", "remove", "custom"}).exit_code == 3);
}

TEST_CASE("provider models lists what the service offers") {
  FakeUpstream upstream;
  upstream.set_models({"beta", "alpha"});
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url()}).exit_code == 0);
  auto listed = home.run({"provider", "models", "fake"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  CHECK(listed.out == "alpha\nbeta\n");
}

TEST_CASE("prompt template, system files and the override policy shape the request") {
  FakeUpstream upstream;
  upstream.set_default(ScriptedResponse::text_answer("ok", true));
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url()}).exit_code == 0);
  std::string system_file = home.path() + "/style.md";
  std::ofstream(system_file) << "Use British spelling.";
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "fake", "--model", "m", "--system", "Be kind.",
                    "--system-file", system_file, "--prompt-template", "Question: {prompt}\nAnswer briefly.",
                    "--temperature", "0.5", "--overridable", "temperature,max_tokens"})
              .exit_code == 0);

  auto result = home.run({"chat", "g", "why?", "-o", "temperature=0.1", "-o", "max_tokens=5"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto body = upstream.requests().back().json_body;
  CHECK(body["messages"][0]["content"] == "Be kind.\n\nUse British spelling.");
  CHECK(body["messages"][1]["content"] == "Question: why?\nAnswer briefly.");
  CHECK(body["temperature"] == 0.1);
  CHECK(body["max_tokens"] == 5);

  // Edits to the file show up in the next call.
  std::ofstream(system_file) << "Use American spelling.";
  REQUIRE(home.run({"chat", "g", "hi"}).exit_code == 0);
  CHECK(upstream.requests().back().json_body["messages"][0]["content"] == "Be kind.\n\nUse American spelling.");

  auto refused = home.run({"chat", "g", "hi", "-o", "top_p=0.3"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("does not let a request set 'top_p'") != std::string::npos);
  auto out_of_range = home.run({"chat", "g", "hi", "-o", "temperature=5"});
  CHECK(out_of_range.exit_code == 2);
  CHECK(home.run({"chat", "g", "hi", "-o", "novalue"}).exit_code == 2);
  auto count = upstream.request_count();
  std::filesystem::remove(system_file);
  auto missing = home.run({"chat", "g", "hi"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("style.md") != std::string::npos);
  CHECK(upstream.request_count() == count);
}

TEST_CASE("system URLs are fetched once and cached") {
  FakeUpstream upstream;
  upstream.set_default(ScriptedResponse::text_answer("ok", true));
  FakeUpstream instructions;  // serves any GET path with 404 unless it is /v1/models
  instructions.set_models({"irrelevant"});
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url()}).exit_code == 0);
  std::string url = instructions.base_url() + "/models";
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "fake", "--model", "m", "--system-url", url}).exit_code ==
          0);
  REQUIRE(home.run({"chat", "g", "one"}).exit_code == 0);
  REQUIRE(home.run({"chat", "g", "two"}).exit_code == 0);
  CHECK(instructions.request_count() == 1);
  auto system = upstream.requests().back().json_body["messages"][0]["content"].get<std::string>();
  CHECK(system.find("irrelevant") != std::string::npos);

  REQUIRE(home.run({"gateway", "update", "g", "--system-url", instructions.base_url() + "/missing"}).exit_code == 0);
  auto failed = home.run({"chat", "g", "three"});
  CHECK(failed.exit_code == 4);
  CHECK(failed.err.find("/missing") != std::string::npos);
}

TEST_CASE("context budget: error names the sizes; truncate drops the oldest turns") {
  FakeUpstream upstream;
  upstream.set_default(ScriptedResponse::text_answer(std::string(400, 'a'), true));
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url()}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "strict", "--provider", "fake", "--model", "m", "--system", "sys",
                    "--max-context-tokens", "300", "--max-tokens", "50"})
              .exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "loose", "--provider", "fake", "--model", "m", "--system", "sys",
                    "--max-context-tokens", "300", "--max-tokens", "50", "--on-overflow", "truncate"})
              .exit_code == 0);

  auto too_long = home.run({"chat", "strict", std::string(2000, 'x')});
  CHECK(too_long.exit_code == 2);
  CHECK(too_long.err.find("max_context_tokens") != std::string::npos);
  CHECK(upstream.request_count() == 0);

  // Each turn adds ~100 tokens of user text and ~100 of answer: the third turn overflows 250.
  for (const char* turn : {"first", "second", "third"}) {
    auto result = home.run({"--json", "chat", "loose", "--session", "s", std::string(turn) + std::string(400, 'u')});
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  }
  auto messages = upstream.requests().back().json_body["messages"];
  CHECK(messages[0]["role"] == "system");
  CHECK(messages.back()["content"].get<std::string>().rfind("third", 0) == 0);
  for (const auto& message : messages)
    CHECK(message["content"].get<std::string>().rfind("first", 0) != 0);
}

TEST_CASE("gateway history, diff and rollback") {
  WeirHome home;
  REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "local", "--model", "extractive", "--temperature", "0.5"})
              .exit_code == 0);
  REQUIRE(home.run({"gateway", "update", "g", "--temperature", "0.7", "--collection", "kb"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "update", "g", "--top", "8", "--system", "Be brief."}).exit_code == 0);

  auto history = run_json(home, {"gateway", "history", "g"});
  REQUIRE(history.size() == 3);
  CHECK(history[0]["revision"] == 1);
  CHECK(history[0]["action"] == "create");
  CHECK(history[1]["changed"] == json::array({"temperature", "rag.collections"}));
  CHECK(history[2]["changed"] == json::array({"system", "rag.top"}));
  auto listed = home.run({"gateway", "history", "g"});
  CHECK(listed.out.find("REVISION") != std::string::npos);
  CHECK(listed.out.find("system, rag.top") != std::string::npos);

  auto diff = home.run({"gateway", "diff", "g", "1"});  // against the current config
  REQUIRE_MESSAGE(diff.exit_code == 0, diff.err);
  CHECK(diff.out.find("system: added \"Be brief.\"") != std::string::npos);
  CHECK(diff.out.find("temperature: 0.5 -> 0.7") != std::string::npos);
  CHECK(diff.out.find("rag.top: added 8") != std::string::npos);
  auto machine = run_json(home, {"gateway", "diff", "g", "3", "2"});
  CHECK(machine["from"] == 3);
  CHECK(machine["to"] == 2);
  REQUIRE(machine["changes"].size() == 2);
  CHECK(machine["changes"][1] == json{{"field", "rag.top"}, {"change", "removed"}, {"old", 8}, {"new", nullptr}});

  auto rolled = home.run({"gateway", "rollback", "g", "1"});
  REQUIRE_MESSAGE(rolled.exit_code == 0, rolled.err);
  CHECK(rolled.out.find("saved as revision 4") != std::string::npos);
  CHECK(rolled.out.find("temperature: 0.7 -> 0.5") != std::string::npos);
  CHECK(rolled.out.find("rag.collections: removed") != std::string::npos);
  auto shown = run_json(home, {"gateway", "show", "g"});
  CHECK(shown["temperature"] == 0.5);
  CHECK(shown["rag"].is_null());
  CHECK(run_json(home, {"gateway", "history", "g"}).back()["action"] == "rollback");
  CHECK(run_json(home, {"gateway", "diff", "g", "1"})["changes"].empty());

  auto unknown = home.run({"gateway", "diff", "g", "9"});
  CHECK(unknown.exit_code == 3);
  CHECK(unknown.err.find("has revisions 1 to 4") != std::string::npos);
  CHECK(home.run({"gateway", "rollback", "g", "0"}).exit_code == 3);

  // Deleting the gateway deletes its history: a new one of that name starts at 1.
  REQUIRE(home.run({"gateway", "delete", "g"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "local", "--model", "extractive"}).exit_code == 0);
  CHECK(run_json(home, {"gateway", "history", "g"}).size() == 1);
}

TEST_CASE("a gateway's provider and collections must exist when it is saved") {
  WeirHome home;
  REQUIRE(home.run({"collection", "create", "handbook"}).exit_code == 0);
  auto provider = home.run({"gateway", "create", "g", "--provider", "opnai", "--model", "m"});
  CHECK(provider.exit_code == 3);
  CHECK(provider.err.find("provider 'opnai' does not exist; did you mean: openai") != std::string::npos);
  auto collection = home.run({"gateway", "create", "g", "--provider", "local", "--model", "extractive",
                              "--collection", "handbok"});
  CHECK(collection.exit_code == 3);
  CHECK(collection.err.find("collection 'handbok' does not exist; did you mean: handbook?") != std::string::npos);
  CHECK(run_json(home, {"gateway", "list"}).empty());

  // A preset, a configured provider and the built-in local are all fine.
  CHECK(home.run({"gateway", "create", "preset", "--provider", "groq", "--model", "m"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "local", "--model", "extractive"}).exit_code == 0);
  auto update = home.run({"gateway", "update", "g", "--collection", "handbook,missing"});
  CHECK(update.exit_code == 3);
  CHECK(update.err.find("'missing'") != std::string::npos);
  CHECK(run_json(home, {"gateway", "history", "g"}).size() == 1);

  auto document = json::parse(home.run({"gateway", "export", "g"}).out);
  document["provider"] = "nowhere";
  auto applied = home.run({"gateway", "apply", "-f", "-"}, document.dump());
  CHECK(applied.exit_code == 3);
  CHECK(applied.err.find("'nowhere'") != std::string::npos);
  CHECK(run_json(home, {"gateway", "show", "g"})["provider"] == "local");
}

TEST_CASE("a collection or provider a gateway uses is deleted only with --force") {
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "custom", "--base-url", "http://127.0.0.1:1/v1"}).exit_code == 0);
  REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);
  REQUIRE(home.run({"collection", "import", "kb", "-"}, "{\"docid\": \"a\", \"text\": \"hello\"}\n").exit_code == 0);
  REQUIRE(home.run({"collection", "search", "kb", "hello"}).exit_code == 0);  // builds the index file
  auto index = run_json(home, {"collection", "show", "kb"})["index"].get<std::string>();
  REQUIRE(std::filesystem::exists(index));
  REQUIRE(home.run({"gateway", "create", "rag", "--provider", "custom", "--model", "m", "--collection", "kb"})
              .exit_code == 0);

  auto refused = home.run({"collection", "delete", "kb"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("collection 'kb' is used by gateways: rag") != std::string::npos);
  CHECK(run_json(home, {"collection", "list"}).size() == 1);
  auto provider = home.run({"provider", "remove", "custom"});
  CHECK(provider.exit_code == 2);
  CHECK(provider.err.find("provider 'custom' is used by gateways: rag") != std::string::npos);

  auto forced = home.run({"collection", "delete", "kb", "--force"});
  REQUIRE_MESSAGE(forced.exit_code == 0, forced.err);
  CHECK(run_json(home, {"collection", "list"}).empty());
  CHECK_FALSE(std::filesystem::exists(index));
  CHECK(home.run({"provider", "remove", "custom", "--force"}).exit_code == 0);

  // Unused: no --force needed.
  REQUIRE(home.run({"collection", "create", "spare"}).exit_code == 0);
  CHECK(home.run({"collection", "delete", "spare"}).exit_code == 0);
}
