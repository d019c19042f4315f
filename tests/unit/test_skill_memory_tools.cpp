// The skills and memory tool sources inside the engine: read_skill's
// instructions join the system message from the next turn on, hidden tools
// appear once a skill allows them, unknown skills fail the request, and the
// memory tools keep notes per user (none without a user).
#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/error.hpp"
#include "core/store/conversation_skills.hpp"
#include "core/store/database.hpp"
#include "core/store/memory_repository.hpp"
#include "core/store/provider_repository.hpp"
#include "core/store/skill_repository.hpp"
#include "core/tools/memory_source.hpp"
#include "core/tools/skill_source.hpp"
#include "core/tools/tool_registry.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::WeirHome;

namespace {

// Answers from a script and records every request it got.
struct ScriptedState {
  std::deque<std::vector<StreamDelta>> answers;
  std::vector<ChatRequest> requests;
};

class ScriptedProvider final : public Provider {
 public:
  explicit ScriptedProvider(std::shared_ptr<ScriptedState> state) : state_(std::move(state)) {}
  ProviderCapabilities capabilities() const override { return {}; }
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken&) override {
    state_->requests.push_back(request);
    REQUIRE_MESSAGE(!state_->answers.empty(), "the scripted provider was called more often than scripted");
    auto answer = state_->answers.front();
    state_->answers.pop_front();
    Completion completion;
    for (const auto& delta : answer) {
      completion.apply(delta);
      on_delta(delta);
    }
    return completion;
  }
  json describe_request(const ChatRequest& request) const override { return {{"messages", request.messages}}; }
  std::vector<std::string> models(const CancelToken&) override { return {}; }
  std::vector<std::vector<float>> embeddings(const std::string&, const std::vector<std::string>&,
                                             const CancelToken&) override {
    throw Error(ErrorKind::usage, "no embeddings");
  }

 private:
  std::shared_ptr<ScriptedState> state_;
};

std::vector<StreamDelta> calls(std::vector<std::pair<std::string, std::string>> tool_calls) {
  StreamDelta delta;
  int index = 0;
  for (auto& [name, arguments] : tool_calls)
    delta.tool_calls.push_back({index, "call_" + std::to_string(index), name, arguments}), ++index;
  StreamDelta end;
  end.finish_reason = "tool_calls";
  return {delta, end};
}

std::vector<StreamDelta> answer(const std::string& text) {
  StreamDelta delta;
  delta.content = text;
  StreamDelta end;
  end.finish_reason = "stop";
  return {delta, end};
}

struct Fixture {
  WeirHome home;
  Paths paths = resolve_paths(home.path());
  Database database{paths.database};
  std::shared_ptr<ScriptedState> state = std::make_shared<ScriptedState>();

  Fixture() {
    ProviderConfig provider;
    provider.name = "fake";
    provider.base_url = "http://127.0.0.1:9/v1";
    ProviderRepository(database).save(provider);
    Skill triage{"triage", "Sort incoming bugs", "Label every bug with a severity from S1 to S4.", {"memory_save"}};
    Skill tone{"tone", "House style", "Answer in one sentence.", {}};
    SkillRepository(database).create(triage);
    SkillRepository(database).create(tone);
  }

  Gateway gateway(json fields) {
    fields["provider"] = "fake";
    fields["model"] = "fake-model";
    return GatewayRepository(database).create("g", GatewayConfig::from_json(fields));
  }

  ChatResult run(const std::string& user = "") {
    EngineOptions options;
    auto shared = state;
    options.providers = [shared](const ProviderConfig&) -> std::unique_ptr<Provider> {
      return std::make_unique<ScriptedProvider>(shared);
    };
    Engine engine(database, paths, options);
    ChatInput input;
    input.target = "g";
    input.user = user;
    input.messages = json::array({{{"role", "user"}, {"content", "hello"}}});
    return engine.run(input, [](const StreamDelta&) {}, CancelToken());
  }
};

std::string system_text(const ChatRequest& request) {
  const auto& first = request.messages.at(0);
  return first.value("role", "") == "system" ? first["content"].get<std::string>() : "";
}

std::vector<std::string> tool_names(const ChatRequest& request) {
  std::vector<std::string> names;
  for (const auto& tool : request.tools) names.push_back(tool_definition_name(tool));
  return names;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("skills: read_skill's instructions join the system message from the next turn on") {
  Fixture fixture;
  fixture.gateway({{"system", "Be helpful."}, {"skills", {"triage", "tone"}}});
  fixture.state->answers = {calls({{"read_skill", R"({"slugs": ["triage"]})"}}), answer("S2")};
  auto result = fixture.run();
  REQUIRE(fixture.state->requests.size() == 2);
  auto first = system_text(fixture.state->requests[0]);
  CHECK(contains(first, "Be helpful."));
  CHECK(contains(first, "- triage: Sort incoming bugs"));
  CHECK(contains(first, "- tone: House style"));
  CHECK_FALSE(contains(first, "severity"));
  auto second = system_text(fixture.state->requests[1]);
  CHECK(contains(second, "<skill slug=\"triage\">\nLabel every bug with a severity from S1 to S4.\n</skill>"));
  CHECK_FALSE(contains(second, "<skill slug=\"tone\">"));
  auto& messages = fixture.state->requests[1].messages;
  CHECK(contains(messages.back()["content"].get<std::string>(), "Label every bug"));  // the tool result
  CHECK(result.response["generation_context"]["runned_functions"][0]["name"] == "read_skill");
  CHECK(result.response["generation_context"]["runned_functions"][0]["success"] == true);
}

TEST_CASE("skills: reading the same skill twice adds one block; an unknown slug goes back to the model") {
  Fixture fixture;
  fixture.gateway({{"skills", {"triage"}}});
  fixture.state->answers = {calls({{"read_skill", R"({"slugs": ["triage", "nope"]})"}}),
                            calls({{"read_skill", R"({"slugs": ["triage"]})"}}),
                            calls({{"read_skill", R"({"slugs": ["triage", "triage"]})"}}), answer("done")};
  auto result = fixture.run();
  REQUIRE(fixture.state->requests.size() == 4);
  auto failed = fixture.state->requests[1].messages.back()["content"].get<std::string>();
  CHECK(contains(failed, "no skill 'nope'"));
  CHECK(contains(failed, "triage"));
  CHECK_FALSE(contains(system_text(fixture.state->requests[1]), "<skill"));
  auto last = system_text(fixture.state->requests[3]);
  auto first_block = last.find("<skill slug=\"triage\">");
  REQUIRE(first_block != std::string::npos);
  CHECK(last.find("<skill slug=\"triage\">", first_block + 1) == std::string::npos);
  CHECK(result.response["generation_context"]["runned_functions"][0]["success"] == false);
}

TEST_CASE("skills: hide_tools_unless_skill offers other tools once a skill read allows them") {
  Fixture fixture;
  fixture.gateway({{"skills", {"triage", "tone"}},
                   {"builtin_tools", {"memory"}},
                   {"hide_tools_unless_skill", true},
                   {"always_visible_tools", {"memory_search"}}});
  fixture.state->answers = {calls({{"memory_save", R"({"text": "too early"})"}}),
                            calls({{"read_skill", R"({"slugs": ["tone"]})"}}),
                            calls({{"read_skill", R"({"slugs": ["triage"]})"}}),
                            calls({{"memory_save", R"({"text": "Alice files S1 bugs"})"}}), answer("ok")};
  auto result = fixture.run("alice");
  REQUIRE(fixture.state->requests.size() == 5);
  using names = std::vector<std::string>;
  CHECK(tool_names(fixture.state->requests[0]) == names{"read_skill", "memory_search"});
  CHECK(contains(fixture.state->requests[1].messages.back()["content"].get<std::string>(), "not available yet"));
  CHECK(tool_names(fixture.state->requests[2]) == names{"read_skill", "memory_search"});  // tone allows nothing
  CHECK(tool_names(fixture.state->requests[3]) == names{"read_skill", "memory_save", "memory_search"});
  auto functions = result.response["generation_context"]["runned_functions"];
  CHECK(functions[0]["success"] == false);
  CHECK(functions[3]["success"] == true);
  MemoryRepository memories(fixture.database);
  auto saved = memories.search(MemoryScope{"alice", std::nullopt, true}, "");
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].text == "Alice files S1 bugs");
}

TEST_CASE("skills: a gateway naming a skill that was deleted fails before the model is called") {
  Fixture fixture;
  CHECK(expect_error([&] { fixture.gateway({{"skills", {"missing"}}}); }).kind() == ErrorKind::not_found);
  fixture.gateway({{"skills", {"tone"}}});
  SkillRepository(fixture.database).remove("tone");
  auto error = expect_error([&] { fixture.run(); });
  CHECK(error.kind() == ErrorKind::not_found);
  CHECK(contains(error.what(), "'tone'"));
  CHECK(fixture.state->requests.empty());
}

TEST_CASE("memory: saved for a user and gateway, searched, updated and deleted through the tools") {
  Fixture fixture;
  auto gateway = fixture.gateway({{"builtin_tools", {"memory"}}});
  MemorySource alice(fixture.database, "alice", gateway.id);
  MemorySource bob(fixture.database, "bob", gateway.id);
  CancelToken cancel;
  auto saved = json::parse(alice.run({"c1", "memory_save", R"({"text": "likes green tea", "retention_days": 7})"}, cancel).text);
  auto id = saved["saved"]["id"].get<int64_t>();
  CHECK(saved["saved"]["shared"] == false);
  auto found = json::parse(alice.run({"c2", "memory_search", R"({"query": "tea"})"}, cancel).text);
  REQUIRE(found["memories"].size() == 1);
  CHECK(found["memories"][0]["text"] == "likes green tea");
  CHECK(json::parse(bob.run({"c3", "memory_search", R"({"query": "tea"})"}, cancel).text)["memories"].empty());
  auto not_bobs = expect_error([&] {
    bob.run({"c4", "memory_delete", "{\"id\": " + std::to_string(id) + "}"}, cancel);
  });
  CHECK(contains(not_bobs.what(), "no memory"));
  alice.run({"c5", "memory_update", "{\"id\": " + std::to_string(id) + ", \"text\": \"likes black tea\"}"}, cancel);
  CHECK(json::parse(alice.run({"c6", "memory_search", R"({"query": "black"})"}, cancel).text)["memories"].size() == 1);
  CHECK(expect_error([&] { alice.run({"c7", "memory_save", R"({"text": "x", "retention_days": 400})"}, cancel); })
            .kind() == ErrorKind::usage);
  CHECK(expect_error([&] { alice.run({"c8", "memory_save", R"({"txt": "x"})"}, cancel); }).kind() == ErrorKind::usage);
  alice.run({"c9", "memory_delete", "{\"id\": " + std::to_string(id) + "}"}, cancel);
  CHECK(json::parse(alice.run({"c10", "memory_search", R"({"query": ""})"}, cancel).text)["memories"].empty());
}

TEST_CASE("memory: with no user the tools answer a clear failed call") {
  Fixture fixture;
  fixture.gateway({{"builtin_tools", {"memory"}}});
  fixture.state->answers = {calls({{"memory_search", R"({"query": "tea"})"}}), answer("I cannot remember.")};
  auto result = fixture.run("");
  json function = result.response["generation_context"]["runned_functions"][0];
  CHECK(function["success"] == false);
  CHECK(contains(function["error"].get<std::string>(), "names no user"));
  CHECK(contains(fixture.state->requests[1].messages.back()["content"].get<std::string>(), "--user"));
}

TEST_CASE("gateway fields: skills, builtin_tools and always_visible_tools are checked") {
  auto bad = [](json fields) {
    fields["provider"] = "fake";
    fields["model"] = "m";
    return std::string(expect_error([&] { (void)GatewayConfig::from_json(fields); }).what());
  };
  CHECK(contains(bad({{"skills", {"bad slug"}}}), "not a skill slug"));
  CHECK(contains(bad({{"skills", {"a", "a"}}}), "twice"));
  CHECK(contains(bad({{"builtin_tools", {"telepathy"}}}), "open_url, current_time, memory"));
  CHECK(contains(bad({{"hide_tools_unless_skill", "yes"}}), "true or false"));
}

TEST_CASE("skills and memory: a public caller gets neither the skill list nor the tools") {
  Fixture fixture;
  auto gateway = fixture.gateway({{"system", "Base."}, {"skills", {"triage"}}, {"builtin_tools", {"memory"}}});
  EngineOptions options;
  auto shared = fixture.state;
  options.providers = [shared](const ProviderConfig&) -> std::unique_ptr<Provider> {
    return std::make_unique<ScriptedProvider>(shared);
  };
  Engine engine(fixture.database, fixture.paths, options);
  ChatInput input;
  input.target = gateway.id;
  input.user = "alice";
  input.messages = json::array({{{"role", "user"}, {"content", "hello"}}});
  auto private_context = engine.prepare(input);
  CHECK(tool_names(private_context.request) ==
        std::vector<std::string>{"read_skill", "memory_save", "memory_search", "memory_update", "memory_delete"});
  CHECK(contains(system_text(private_context.request), "- triage: Sort incoming bugs"));
  input.caller = Caller{"web", true};
  auto public_context = engine.prepare(input);
  CHECK(public_context.request.tools.empty());
  CHECK(public_context.tools.empty());
  CHECK(system_text(public_context.request) == "Base.");
}

TEST_CASE("memory: the tools stop seeing a memory once its retention has passed (injected clock)") {
  Fixture fixture;
  auto gateway = fixture.gateway({{"builtin_tools", {"memory"}}});
  constexpr int64_t kDay = 24LL * 60 * 60 * 1000;
  int64_t now = 3'000 * kDay;
  MemorySource alice(fixture.database, "alice", gateway.id, [&] { return now; });
  CancelToken cancel;
  alice.run({"c1", "memory_save", R"({"text": "desk 4B this week", "retention_days": 7})"}, cancel);
  alice.run({"c2", "memory_save", R"({"text": "allergic to peanuts"})"}, cancel);
  auto search = [&] { return json::parse(alice.run({"c", "memory_search", R"({"query": ""})"}, cancel).text)["memories"]; };
  CHECK(search().size() == 2);
  now += 7 * kDay - 1;
  CHECK(search().size() == 2);
  now += 1;
  auto left = search();
  REQUIRE(left.size() == 1);
  CHECK(left[0]["text"] == "allergic to peanuts");
  now += 23 * kDay;
  CHECK(search().empty());  // the default retention is 30 days
}

TEST_CASE("skills: a conversation keeps its skills in the order read, and forgets them after the retention") {
  Fixture fixture;
  constexpr int64_t kDay = 24LL * 60 * 60 * 1000;
  int64_t now = 3'000 * kDay;
  remember_conversation_skills(fixture.database, "gw", "c1", {"tone", "release-notes"}, now);
  remember_conversation_skills(fixture.database, "gw", "c1", {"release-notes", "legal"}, now + 1);
  CHECK(conversation_skills(fixture.database, "gw", "c1", now + 2) ==
        std::vector<std::string>{"release-notes", "tone", "legal"});  // first read first; ties by slug
  CHECK(conversation_skills(fixture.database, "gw", "c2", now + 2).empty());
  CHECK(conversation_skills(fixture.database, "other", "c1", now + 2).empty());
  // Reading any skill keeps the whole conversation's.
  remember_conversation_skills(fixture.database, "gw", "c1", {"tone"}, now + 20 * kDay);
  CHECK(conversation_skills(fixture.database, "gw", "c1", now + 49 * kDay).size() == 3);
  CHECK(conversation_skills(fixture.database, "gw", "c1", now + 50 * kDay + 1).empty());
}

TEST_CASE("skills: skills already read in the conversation are in the first turn's system message and allow their tools") {
  SkillSettings settings;
  settings.skills = {"writer"};
  settings.hide_tools_unless_skill = true;
  Skill writer{"writer", "Writes", "Write well.", {"publish"}, 0, 0};
  std::vector<std::vector<std::string>> heard;
  SkillSource source(settings, {writer}, {"writer", "gone"}, [&](const auto& slugs) { heard.push_back(slugs); });
  auto messages = json::array({{{"role", "system"}, {"content", "base"}}, {{"role", "user"}, {"content", "hi"}}});
  source.prepare_turn(messages);
  CHECK(messages[0]["content"].get<std::string>().find("Write well.") != std::string::npos);
  CHECK_FALSE(source.hides("publish"));
  CHECK(heard.empty());
  source.run({"c", "read_skill", R"({"slugs": ["writer"]})"}, CancelToken());
  REQUIRE(heard.size() == 1);
  CHECK(heard[0] == std::vector<std::string>{"writer"});
  source.prepare_turn(messages);  // already in: not added twice
  auto text = messages[0]["content"].get<std::string>();
  CHECK(text.find("Write well.") == text.rfind("Write well."));
}
