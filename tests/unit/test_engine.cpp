// The engine in process, with an injected fake provider: each preparation
// stage, stream filters, tool sources and their name clashes,
// tool_result_window, and the caller policy for public and private callers.
#include <doctest/doctest.h>

#include <cctype>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/context_budget.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/pipeline.hpp"
#include "core/engine/resolved_targets.hpp"
#include "core/engine/response_cache.hpp"
#include "core/engine/stream_filter.hpp"
#include "core/engine/tool_result_window.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/rag/ingest.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/provider_repository.hpp"
#include "core/store/request_log.hpp"
#include "core/store/response_cache_repository.hpp"
#include "core/store/usage_report.hpp"
#include "core/tools/tool_registry.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::WeirHome;

namespace {

// A provider that answers from a script and records every request it got.
struct FakeProviderState {
  std::deque<std::vector<StreamDelta>> answers;  // one list of deltas per call
  std::vector<ChatRequest> requests;
  std::vector<std::string> configs;  // the provider name of each adapter made
  int delivered = 0;                 // deltas handed to the engine, over all calls
  ProviderCapabilities capabilities;
  std::function<void()> after_delta;  // called after each delta is handed over
};

class FakeProvider final : public Provider {
 public:
  explicit FakeProvider(std::shared_ptr<FakeProviderState> state) : state_(std::move(state)) {}
  ProviderCapabilities capabilities() const override { return state_->capabilities; }
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) override {
    state_->requests.push_back(request);
    REQUIRE_MESSAGE(!state_->answers.empty(), "the fake provider was called more often than scripted");
    auto answer = state_->answers.front();
    state_->answers.pop_front();
    Completion completion;
    completion.model = "reported-model";
    for (const auto& delta : answer) {
      if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
      completion.apply(delta);
      ++state_->delivered;
      on_delta(delta);
      if (state_->after_delta) state_->after_delta();
    }
    return completion;
  }
  json describe_request(const ChatRequest& request) const override {
    return {{"model", request.model}, {"messages", request.messages}};
  }
  std::vector<std::string> models(const CancelToken&) override { return {"fake-model"}; }
  std::vector<std::vector<float>> embeddings(const std::string&, const std::vector<std::string>&,
                                             const CancelToken&) override {
    throw Error(ErrorKind::usage, "no embeddings");
  }

 private:
  std::shared_ptr<FakeProviderState> state_;
};

StreamDelta content(std::string text) {
  StreamDelta delta;
  delta.content = std::move(text);
  return delta;
}

StreamDelta finish(std::string reason, int64_t prompt = 10, int64_t completion = 5) {
  StreamDelta delta;
  delta.finish_reason = std::move(reason);
  delta.usage = Usage{prompt, completion, 0, 0};
  return delta;
}

StreamDelta tool_call(int index, std::string id, std::string name, std::string arguments) {
  StreamDelta delta;
  delta.tool_calls.push_back({index, std::move(id), std::move(name), std::move(arguments)});
  return delta;
}

json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

struct EngineFixture {
  WeirHome home;
  Paths paths = resolve_paths(home.path());
  Database database{paths.database};
  std::shared_ptr<FakeProviderState> fake = std::make_shared<FakeProviderState>();

  EngineFixture() {
    ProviderConfig provider;
    provider.name = "fake";
    provider.base_url = "http://127.0.0.1:9/v1";
    ProviderRepository(database).save(provider);
  }

  Gateway gateway(const std::string& name, json fields) {
    fields["provider"] = "fake";
    if (!fields.contains("model")) fields["model"] = "fake-model";
    return GatewayRepository(database).create(name, GatewayConfig::from_json(fields));
  }

  EngineOptions options() {
    EngineOptions engine_options;
    auto state = fake;
    engine_options.providers = [state](const ProviderConfig& config) -> std::unique_ptr<Provider> {
      state->configs.push_back(config.name);
      return std::make_unique<FakeProvider>(state);
    };
    return engine_options;
  }

  Engine engine() { return Engine(database, paths, options()); }

  void add_documents(const std::string& collection, const std::vector<std::pair<std::string, std::string>>& documents) {
    CollectionRepository(database).create(collection, "local", 256, "");
    for (const auto& [docid, text] : documents) {
      Document document;
      document.docid = docid;
      document.text = text;
      upsert_document(database, paths, collection, document, CancelToken());
    }
  }
};

ChatInput input_for(const std::string& target, const std::string& message) {
  ChatInput input;
  input.target = target;
  input.messages = json::array({user(message)});
  return input;
}


bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Holds every content delta back, then emits the answer once, upper-cased.
class ShoutAtEnd final : public StreamFilter {
 public:
  void on_delta(const StreamDelta& delta, const DeltaCallback& emit) override {
    held_ += delta.content;
    StreamDelta rest = delta;
    rest.content.clear();
    if (!rest.reasoning.empty() || !rest.tool_calls.empty() || rest.finish_reason || rest.usage) emit(rest);
  }
  void on_end(const DeltaCallback& emit) override {
    std::string text;
    for (char character : held_) text += static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
    emit(content(text));
  }

 private:
  std::string held_;
};

// Ends the stream once `limit` characters of content went through.
class StopAfter final : public StreamFilter {
 public:
  explicit StopAfter(size_t limit) : limit_(limit) {}
  void on_delta(const StreamDelta& delta, const DeltaCallback& emit) override {
    if (passed_ >= limit_) return;
    StreamDelta cut = delta;
    cut.content = delta.content.substr(0, limit_ - passed_);
    passed_ += cut.content.size();
    emit(cut);
  }
  bool ended() const override { return passed_ >= limit_; }
  std::string end_reason() const override { return "length"; }

 private:
  size_t limit_;
  size_t passed_ = 0;
};

// A tool source with fixed tools that echoes its calls.
class EchoSource final : public ToolSource {
 public:
  EchoSource(std::string owner, std::vector<std::string> names) : owner_(std::move(owner)), names_(std::move(names)) {}
  std::string owner() const override { return owner_; }
  json definitions() const override {
    json tools = json::array();
    for (const auto& name : names_)
      tools.push_back({{"type", "function"}, {"function", {{"name", name}, {"parameters", {{"type", "object"}}}}}});
    return tools;
  }
  ToolOutput run(const ToolCall& call, const ToolCallContext&) override { return owner_ + " ran " + call.name; }

 private:
  std::string owner_;
  std::vector<std::string> names_;
};

}  // namespace

TEST_CASE("engine: the preparation stages are named and run in the documented order") {
  std::vector<std::string> names;
  for (const auto& stage : preparation_stages()) names.emplace_back(stage.name);
  CHECK(names == std::vector<std::string>{"caller_policy", "resolve", "overrides", "limits", "cache", "instructions",
                                          "content_parts", "guardrails", "moderation", "retrieval", "skills", "builtin_tools",
                                          "tools", "tool_window", "structured_output", "context_budget", "hooks",
                                          "output"});
}

TEST_CASE("engine: resolve, overrides, instructions and context budget build the upstream request") {
  EngineFixture fixture;
  fixture.gateway("g", {{"system", "Be brief."},
                        {"prompt_template", "Q: {prompt}"},
                        {"prefill", "A:"},
                        {"temperature", 0.3},
                        {"max_tokens", 50},
                        {"stop", "END"},
                        {"overridable", {"temperature", "tools"}}});
  auto engine = fixture.engine();

  SUBCASE("defaults from the gateway") {
    auto context = engine.prepare(input_for("g", "why?"));
    CHECK(context.gateway.name == "g");
    CHECK(context.provider.name == "fake");
    CHECK(fixture.fake->configs == std::vector<std::string>{"fake"});  // the injected factory made the adapter
    const auto& request = context.request;
    CHECK(request.model == "fake-model");
    CHECK(request.messages == json::array({{{"role", "system"}, {"content", "Be brief."}},
                                           user("Q: why?"),
                                           {{"role", "assistant"}, {"content", "A:"}}}));
    CHECK(request.sampling.temperature == 0.3);
    CHECK(request.sampling.max_tokens == 50);
    CHECK(request.sampling.stop == std::vector<std::string>{"END"});
    CHECK(request.tools.empty());
    CHECK(context.identity.model == "fake-model");
    REQUIRE(context.filters.size() == 1);  // the prefill filter
  }
  SUBCASE("allowed overrides are merged; others refused naming what is allowed") {
    auto input = input_for("g", "why?");
    input.overrides = {{"temperature", 1.5}};
    CHECK(engine.prepare(input).request.sampling.temperature == 1.5);
    input.overrides = {{"top_p", 0.5}};
    auto error = expect_error([&] { engine.prepare(input); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(contains(error.what(), "does not let a request set 'top_p'; it allows: temperature, tools"));
  }
  SUBCASE("context budget truncates the oldest messages") {
    fixture.gateway("small", {{"max_context_tokens", 60}, {"max_tokens", 10}, {"on_overflow", "truncate"}});
    ChatInput input;
    input.target = "small";
    input.messages = json::array({user(std::string(400, 'a')), {{"role", "assistant"}, {"content", "ok"}}, user("last")});
    auto context = engine.prepare(input);
    CHECK(context.dropped_messages >= 1);
    CHECK(context.request.messages.back() == user("last"));
  }
}

TEST_CASE("engine: run streams deltas through the prefill filter and folds the answer") {
  EngineFixture fixture;
  fixture.gateway("g", {{"prefill", "Answer:"}});
  fixture.fake->answers.push_back({content(" forty"), content("-two"), finish("stop", 12, 3)});
  auto engine = fixture.engine();
  std::string seen;
  bool prepared = false;
  auto input = input_for("g", "what is six times seven?");
  input.on_prepared = [&](const RequestContext& context) {
    prepared = true;
    CHECK(context.identity.model == "fake-model");
  };
  auto result = engine.run(input, [&](const StreamDelta& delta) { seen += delta.content; }, CancelToken());
  CHECK(prepared);
  CHECK(seen == "Answer: forty-two");
  CHECK(result.completion.content == "Answer: forty-two");
  CHECK(result.response["model"] == "fake-model");
  CHECK(result.response["choices"][0]["message"]["content"] == "Answer: forty-two");
  CHECK(result.response["usage"]["prompt_tokens"] == 12);
  auto rows = RequestLog(fixture.database).recent(10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "ok");
}

TEST_CASE("engine: stream filters hold back, rewrite and end the delta stream") {
  EngineFixture fixture;
  fixture.gateway("g", json::object());
  auto engine = fixture.engine();

  SUBCASE("a filter that holds everything back and rewrites it at the end") {
    std::vector<std::string> pieces;
    std::vector<std::unique_ptr<StreamFilter>> filters;
    filters.push_back(std::make_unique<ShoutAtEnd>());
    FilterChain chain(filters, [&](const StreamDelta& delta) {
      if (!delta.content.empty()) pieces.push_back(delta.content);
    });
    chain.push(content("quiet "));
    CHECK(pieces.empty());  // held back
    chain.push(content("words"));
    chain.finish();
    CHECK(pieces == std::vector<std::string>{"QUIET WORDS"});
  }
  SUBCASE("filters chain in order and server-tool activity bypasses them") {
    std::vector<StreamDelta> out;
    std::vector<std::unique_ptr<StreamFilter>> filters;
    filters.push_back(std::make_unique<StopAfter>(4));
    filters.push_back(std::make_unique<ShoutAtEnd>());
    FilterChain chain(filters, [&](const StreamDelta& delta) { out.push_back(delta); });
    StreamDelta activity;
    activity.server_tool = ServerToolActivity{"t", "1", "{}", "started", std::nullopt};
    chain.push(content("ab"));
    chain.push(activity);
    chain.push(content("cdef"));
    CHECK(chain.ended());
    CHECK(chain.end_reason() == "length");
    chain.push(content("more"));  // after the end: dropped
    chain.finish();
    REQUIRE(out.size() >= 2);
    CHECK(out[0].server_tool.has_value());
    std::string text;
    for (const auto& delta : out) text += delta.content;
    CHECK(text == "ABCD");
  }
  SUBCASE("an ending filter stops the upstream call and the answer is what passed") {
    fixture.fake->answers.push_back({content("one "), content("two "), content("three"), finish("stop")});
    EngineOptions options = fixture.options();
    options.filters.push_back([](const RequestContext&) { return std::make_unique<StopAfter>(6); });
    Engine ending(fixture.database, fixture.paths, options);
    std::string seen;
    auto result = ending.run(input_for("g", "count"), [&](const StreamDelta& delta) { seen += delta.content; }, CancelToken());
    CHECK(seen == "one tw");
    CHECK(fixture.fake->delivered == 2);  // the call was stopped: "three" and the finish were never sent
    CHECK(result.completion.content == "one tw");
    CHECK(result.completion.finish_reason == "length");
    CHECK(result.response["choices"][0]["finish_reason"] == "length");
  }
}

TEST_CASE("engine: tool sources offer tools, run calls, and refuse name clashes naming both owners") {
  ToolRegistry registry;
  registry.add(std::make_shared<EchoSource>("MCP server 'files'", std::vector<std::string>{"read", "list"}));
  registry.add(std::make_shared<EchoSource>("the time built-in", std::vector<std::string>{"now"}));
  CHECK(registry.handles("read"));
  CHECK_FALSE(registry.handles("write"));
  CHECK(registry.definitions().size() == 3);
  CHECK(registry.run(ToolCall{"1", "now", "{}"}, CancelToken()).text == "the time built-in ran now");

  auto clash = expect_error(
      [&] { registry.add(std::make_shared<EchoSource>("HTTP function 'x'", std::vector<std::string>{"list"})); });
  CHECK(clash.kind() == ErrorKind::usage);
  CHECK(contains(clash.what(), "'list'"));
  CHECK(contains(clash.what(), "MCP server 'files'"));
  CHECK(contains(clash.what(), "HTTP function 'x'"));
  CHECK(registry.definitions().size() == 3);  // the refused source added nothing

  json client_tools = json::array({{{"type", "function"}, {"function", {{"name", "now"}}}}});
  auto client_clash = expect_error([&] { registry.check_client_tools(client_tools); });
  CHECK(contains(client_clash.what(), "'now'"));
  CHECK(contains(client_clash.what(), "the time built-in"));
  CHECK(contains(client_clash.what(), "request"));
  auto unknown = expect_error([&] { registry.run(ToolCall{"2", "write", "{}"}, CancelToken()); });
  CHECK(unknown.kind() == ErrorKind::usage);
}

TEST_CASE("engine: query_function registers the collection search tool source and the loop runs it") {
  EngineFixture fixture;
  fixture.add_documents("docs", {{"keys", "API keys are rotated every ninety days."}});
  fixture.gateway("g", {{"rag", {{"collections", {"docs"}}, {"strategy", "query_function"}}}});
  auto engine = fixture.engine();

  SUBCASE("the tool is offered beside the client's own") {
    auto input = input_for("g", "how often are keys rotated?");
    fixture.gateway("open", {{"rag", {{"collections", {"docs"}}, {"strategy", "query_function"}}},
                             {"overridable", {"tools"}}});
    input.target = "open";
    input.overrides = {{"tools", json::array({{{"type", "function"}, {"function", {{"name", "weather"}}}}})}};
    auto context = engine.prepare(input);
    REQUIRE(context.request.tools.size() == 2);
    CHECK(context.request.tools[0]["function"]["name"] == "weather");
    CHECK(context.request.tools[1]["function"]["name"] == "docs_search");
    CHECK(context.retrieval.strategy == "query_function");

    input.overrides = {{"tools", json::array({{{"type", "function"}, {"function", {{"name", "docs_search"}}}}})}};
    auto clash = expect_error([&] { engine.prepare(input); });
    CHECK(contains(clash.what(), "docs_search"));
    CHECK(contains(clash.what(), "collection search"));
  }
  SUBCASE("a server-side call is run and the model answers") {
    fixture.fake->answers.push_back(
        {tool_call(0, "call_1", "docs_search", "{\"search_terms\":[\"key rotation\"]}"), finish("tool_calls")});
    fixture.fake->answers.push_back({content("Every ninety days."), finish("stop")});
    std::vector<std::string> states;
    auto result = engine.run(input_for("g", "how often are keys rotated?"),
                             [&](const StreamDelta& delta) {
                               if (delta.server_tool) states.push_back(delta.server_tool->state);
                             },
                             CancelToken());
    CHECK(states == std::vector<std::string>{"started", "succeeded"});
    CHECK(result.completion.content == "Every ninety days.");
    REQUIRE(fixture.fake->requests.size() == 2);
    const auto& second = fixture.fake->requests[1].messages;
    CHECK(second.back()["role"] == "tool");
    CHECK(contains(second.back()["content"].get<std::string>(), "ninety days"));
    CHECK(result.response["generation_context"]["runned_functions"][0]["name"] == "docs_search");
  }
  SUBCASE("a filter that ends the answer after a tool ran keeps the function and the usage spent") {
    fixture.fake->answers.push_back(
        {tool_call(0, "call_1", "docs_search", "{\"search_terms\":[\"key rotation\"]}"), finish("tool_calls", 40, 7)});
    fixture.fake->answers.push_back({content("Every ninety "), content("days, always."), finish("stop")});
    EngineOptions options = fixture.options();
    options.filters.push_back([](const RequestContext&) { return std::make_unique<StopAfter>(5); });
    Engine ending(fixture.database, fixture.paths, options);
    auto result = ending.run(input_for("g", "how often are keys rotated?"), [](const StreamDelta&) {}, CancelToken());
    CHECK(result.completion.content == "Every");
    CHECK(result.completion.finish_reason == "length");
    const auto& generation = result.response["generation_context"];
    REQUIRE(generation["runned_functions"].size() == 1);
    CHECK(generation["runned_functions"][0]["name"] == "docs_search");
    // The first round's tokens were spent and are counted; the stopped round reported none.
    CHECK(result.response["usage"]["prompt_tokens"] == 40);
    CHECK(result.response["usage"]["completion_tokens"] == 7);
  }
}

TEST_CASE("engine: tool_result_window keeps the last results and elides older ones") {
  json messages = json::array({user("q"),
                               {{"role", "tool"}, {"tool_call_id", "a"}, {"content", "first"}},
                               {{"role", "tool"}, {"tool_call_id", "b"}, {"content", "second"}},
                               {{"role", "tool"}, {"tool_call_id", "c"}, {"content", "third"}}});
  CHECK(apply_tool_result_window(messages, 2) == 1);
  CHECK(messages[1] == json{{"role", "tool"}, {"tool_call_id", "a"}, {"content", kElidedToolResult}});
  CHECK(messages[2]["content"] == "second");
  CHECK(messages[3]["content"] == "third");
  CHECK(apply_tool_result_window(messages, 2) == 0);  // already elided
  CHECK(apply_tool_result_window(messages, 0) == 2);

  SUBCASE("the stage applies the gateway's window to the conversation") {
    EngineFixture fixture;
    fixture.gateway("g", {{"tool_result_window", 1}});
    auto engine = fixture.engine();
    ChatInput input;
    input.target = "g";
    input.messages = json::array({user("q"),
                                  {{"role", "assistant"},
                                   {"content", nullptr},
                                   {"tool_calls", json::array({{{"id", "a"}, {"type", "function"},
                                                                {"function", {{"name", "f"}, {"arguments", "{}"}}}},
                                                               {{"id", "b"}, {"type", "function"},
                                                                {"function", {{"name", "f"}, {"arguments", "{}"}}}}})}},
                                  {{"role", "tool"}, {"tool_call_id", "a"}, {"content", "old result"}},
                                  {{"role", "tool"}, {"tool_call_id", "b"}, {"content", "new result"}}});
    auto context = engine.prepare(input);
    CHECK(context.request.messages[2]["content"] == kElidedToolResult);
    CHECK(context.request.messages[3]["content"] == "new result");
  }
}

TEST_CASE("engine: a content part the adapter cannot take is refused before any upstream call, even a rewrite") {
  EngineFixture fixture;
  fixture.add_documents("docs", {{"keys", "API keys are rotated every ninety days."}});
  // user_rewrite would ask the model for a search query first: the parts are
  // checked before that call could be made.
  fixture.gateway("g", {{"rag", {{"collections", {"docs"}}, {"strategy", "user_rewrite"}}}});
  auto engine = fixture.engine();
  ChatInput input;
  input.target = "g";
  input.messages = json::array(
      {user("hello"), {{"role", "assistant"}, {"content", "hi"}},
       {{"role", "user"},
        {"content", json::array({{{"type", "text"}, {"text", "how often are keys rotated?"}},
                                 {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBORw0KGgo="}}}}})}}});
  auto refused = expect_error([&] { engine.run(input, [](const StreamDelta&) {}, CancelToken()); });
  CHECK(refused.kind() == ErrorKind::usage);
  CHECK(contains(refused.what(), "message 2 has a content part of type image_url (part 1)"));
  CHECK(contains(refused.what(), "provider 'fake' (kind openai) does not take image input"));
  CHECK(fixture.fake->requests.empty());
  auto rows = RequestLog(fixture.database).recent(5);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "error");

  // The same conversation goes upstream unchanged once the adapter takes images.
  fixture.fake->capabilities.image_input = true;
  fixture.fake->answers.push_back({content("keys rotation"), finish("stop")});  // the rewritten query
  fixture.fake->answers.push_back({content("every ninety days"), finish("stop")});
  auto answered = engine.run(input, [](const StreamDelta&) {}, CancelToken());
  CHECK(answered.completion.content == "every ninety days");
  REQUIRE(fixture.fake->requests.size() == 2);
  // (Injection puts the documents in a text part in front; the image is kept as sent.)
  CHECK(fixture.fake->requests[1].messages.back()["content"].back() == input.messages[2]["content"][1]);
}

TEST_CASE("engine: injection retrieval searches with a long message as it is") {
  EngineFixture fixture;
  fixture.add_documents("docs", {{"keys", "API keys are rotated every ninety days."}});
  fixture.gateway("g", {{"rag", {{"collections", {"docs"}}, {"strategy", "plain"}}}});
  auto engine = fixture.engine();
  // Longer than the 500 characters a caller may write as search terms.
  std::string message = "How often are API keys rotated? " + std::string(600, 'x');
  auto context = engine.prepare(input_for("g", message));
  CHECK(context.retrieval.strategy == "plain");
  REQUIRE(context.retrieval.documents.size() == 1);
  CHECK(context.retrieval.documents[0]["docid"] == "keys");
}

TEST_CASE("engine: caller policy for public and private callers") {
  EngineFixture fixture;
  fixture.add_documents("docs", {{"keys", "API keys are rotated every ninety days."}});
  auto gateway = fixture.gateway("g", {{"rag", {{"collections", {"docs"}}, {"strategy", "query_function"}}},
                                       {"overridable", {"tools", "tool_choice"}}});
  auto engine = fixture.engine();
  json client_tools = json::array({{{"type", "function"}, {"function", {{"name", "weather"}}}}});

  SUBCASE("a private caller may use a name, its own tools and the server-side tools") {
    auto input = input_for("g", "keys?");
    input.caller = Caller{"ops", false};
    input.overrides = {{"tools", client_tools}, {"tool_choice", "auto"}};
    auto context = engine.prepare(input);
    CHECK(context.request.tools.size() == 2);
    CHECK(context.request.tool_choice == "auto");
    CHECK(context.retrieval.strategy == "query_function");
  }
  SUBCASE("a public caller must name the full id") {
    auto input = input_for("g", "keys?");
    input.caller = Caller{"web", true};
    auto error = expect_error([&] { engine.prepare(input); });
    CHECK(error.kind() == ErrorKind::permission);
    CHECK(contains(error.what(), "full id"));
    input.target = "@fake/fake-model";
    CHECK(expect_error([&] { engine.prepare(input); }).kind() == ErrorKind::permission);
  }
  SUBCASE("a public caller loses its tools and the server-side ones; retrieval injects instead") {
    auto input = input_for(gateway.id, "how often are keys rotated?");
    input.caller = Caller{"web", true};
    input.overrides = {{"tools", client_tools}, {"tool_choice", "auto"}};
    auto context = engine.prepare(input);
    CHECK(context.request.tools.empty());
    CHECK(context.request.tool_choice.is_null());
    CHECK(context.tools.empty());
    CHECK(context.retrieval.strategy == "plain");
    CHECK(contains(context.request.messages.back()["content"].get<std::string>(), "ninety days"));
  }
  SUBCASE("the policy outside chat requests") {
    CHECK_NOTHROW(require_allowed(Caller{"ops", false}, CallerAction::search_collections));
    CHECK(expect_error([] { require_allowed(Caller{"web", true}, CallerAction::list_models); }).kind() ==
          ErrorKind::permission);
    CHECK(expect_error([] { require_allowed(Caller{"web", true}, CallerAction::use_collection_tools); }).kind() ==
          ErrorKind::permission);
  }
}

TEST_CASE("engine: a failed run is logged and nothing is sent when the price file is malformed") {
  EngineFixture fixture;
  fixture.gateway("g", json::object());
  {
    std::ofstream prices(fixture.paths.prices);
    prices << "{ not json";
  }
  auto engine = fixture.engine();
  auto error = expect_error([&] { engine.run(input_for("g", "hi"), [](const StreamDelta&) {}, CancelToken()); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(contains(error.what(), "prices.json"));
  CHECK(fixture.fake->requests.empty());
  auto rows = RequestLog(fixture.database).recent(10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "error");
}

TEST_CASE("engine: guardrails mask input before the upstream and give the originals back in a split answer") {
  EngineFixture fixture;
  fixture.gateway("g", {{"system", "Support desk."},
                        {"guardrails", json::array({{{"name", "pii"}, {"type", "pii"}, {"action", "mask"}}})}});
  // The model repeats the placeholders; one arrives split across two chunks.
  fixture.fake->answers.push_back({content("Noted [EMAIL_1] and [CA"), content("RD_1]; key [SECRET_1]."), finish("stop")});
  auto engine = fixture.engine();
  std::string seen;
  auto result = engine.run(
      input_for("g", "I am bob@example.com, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE"),
      [&](const StreamDelta& delta) { seen += delta.content; }, CancelToken());
  REQUIRE(fixture.fake->requests.size() == 1);
  auto sent = json(fixture.fake->requests[0].messages).dump();
  CHECK(sent.find("bob@example.com") == std::string::npos);
  CHECK(sent.find("4111") == std::string::npos);
  CHECK(sent.find("AKIA") == std::string::npos);
  CHECK(sent.find("I am [EMAIL_1], card [CARD_1], key [SECRET_1]") != std::string::npos);
  CHECK(seen == "Noted bob@example.com and 4111 1111 1111 1111; key AKIAIOSFODNN7EXAMPLE.");
  CHECK(result.completion.content == seen);
  const auto& notes = result.response["generation_context"]["guardrails"];
  REQUIRE(notes.size() == 1);
  CHECK(notes[0]["guard"] == "pii");
  CHECK(notes[0]["direction"] == "input");
  auto rows = RequestLog(fixture.database).recent(1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].metadata["guardrails"] == notes);
  CHECK(rows[0].metadata.dump().find("bob@") == std::string::npos);
}

TEST_CASE("engine: a denied input never reaches the upstream and is logged; warn continues") {
  EngineFixture fixture;
  fixture.gateway("g", {{"guardrails", json::array({{{"name", "no-wire"}, {"type", "words"}, {"words", {"wire transfer"}},
                                                      {"on", "input"}},
                                                     {{"name", "watch"}, {"type", "regex"}, {"patterns", "urgent"},
                                                      {"action", "warn"}}})}});
  auto engine = fixture.engine();
  auto error = expect_error([&] {
    engine.run(input_for("g", "Please make a Wire Transfer now"), [](const StreamDelta&) {}, CancelToken());
  });
  CHECK(error.code() == "guardrail_violation");
  CHECK(contains(error.what(), "guardrail 'no-wire' (words) denied the request"));
  CHECK(fixture.fake->requests.empty());
  auto rows = RequestLog(fixture.database).recent(1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "error");
  CHECK(rows[0].metadata["guardrails"][0]["guard"] == "no-wire");
  // What the guard refused to send anywhere is not kept in the log either.
  CHECK(RequestLog(fixture.database).get(rows[0].id).conversation.is_null());

  fixture.fake->answers.push_back({content("On it, urgently."), finish("stop")});
  auto result = engine.run(input_for("g", "urgent: reset my password"), [](const StreamDelta&) {}, CancelToken());
  REQUIRE(fixture.fake->requests.size() == 1);
  CHECK(json(fixture.fake->requests[0].messages).dump().find("urgent: reset") != std::string::npos);
  const auto& notes = result.response["generation_context"]["guardrails"];
  REQUIRE(notes.size() == 2);  // the input, then the answer ("urgently" matches the pattern too)
  CHECK(notes[0]["direction"] == "input");
  CHECK(notes[1]["direction"] == "output");
  CHECK(notes[1]["action"] == "warn");
}

TEST_CASE("engine: an output deny split across chunks ends the answer with guardrail_violation, streamed or not") {
  for (bool stream : {true, false}) {
    CAPTURE(stream);
    EngineFixture fixture;
    fixture.gateway("g", {{"guardrails", json::array({{{"name", "codeword"}, {"type", "regex"}, {"patterns", "sword ?fish"},
                                                        {"on", "output"}, {"window", 32}}})}});
    std::string lead(100, 'x');
    if (stream)
      fixture.fake->answers.push_back({content(lead + " the password is sword"), content("fish"), finish("stop")});
    else
      fixture.fake->answers.push_back({content(lead + " the password is swordfish"), finish("stop")});
    auto engine = fixture.engine();
    std::string seen;
    auto input = input_for("g", "the password?");
    input.stream = stream;
    auto error = expect_error(
        [&] { engine.run(input, [&](const StreamDelta& delta) { seen += delta.content; }, CancelToken()); });
    CHECK(error.code() == "guardrail_violation");
    CHECK(contains(error.what(), "guardrail 'codeword' (regex) denied the answer"));
    CHECK(seen.find("sword") == std::string::npos);
    auto rows = RequestLog(fixture.database).recent(1);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].metadata["guardrails"][0]["direction"] == "output");
  }
}

TEST_CASE("engine: compiled guardrails are remembered with the resolved target until the gateway changes") {
  EngineFixture fixture;
  fixture.gateway("g", {{"guardrails", json::array({{{"type", "words"}, {"words", {"alpha"}}}})}});
  ResolvedTargets memo;
  auto first = memo.resolve(fixture.database, "g");
  CHECK(memo.resolve(fixture.database, "g")->guards == first->guards);  // compiled once, shared
  auto gateway = GatewayRepository(fixture.database).resolve_target("g");
  gateway.config = GatewayConfig::from_json({{"provider", "fake"}, {"model", "fake-model"},
                                             {"guardrails", json::array({{{"type", "words"}, {"words", {"beta"}}}})}});
  GatewayRepository(fixture.database).update(gateway);
  auto changed = memo.resolve(fixture.database, "g");
  CHECK(changed->guards != first->guards);
  CHECK(changed->guards->guards()[0].find("say beta").size() == 1);
}

TEST_CASE("context budget: the overflow error suggests on_overflow=truncate only when it is not set already") {
  json messages = json::array({{{"role", "system"}, {"content", std::string(400, 's')}},
                               {{"role", "user"}, {"content", "earlier"}},
                               {{"role", "assistant"}, {"content", "answer"}},
                               {{"role", "user"}, {"content", std::string(400, 'u')}}});
  auto message_of = [&](const std::string& on_overflow) {
    auto copy = messages;
    try {
      fit_context(copy, 50, on_overflow);
    } catch (const Error& error) {
      CHECK(error.code() == "context_length_exceeded");
      return std::string(error.what());
    }
    FAIL("the conversation cannot fit in 50 tokens");
    return std::string();
  };
  auto refused = message_of("error");
  CHECK(refused.find("set on_overflow to truncate") != std::string::npos);
  auto truncated = message_of("truncate");
  CHECK(truncated.find("even after dropping older messages") != std::string::npos);
  CHECK(truncated.find("on_overflow") == std::string::npos);
  CHECK(truncated.find("raise max_context_tokens") != std::string::npos);
}

TEST_CASE("engine: a cancelled structured answer is billed for what the model generated, though nothing was shown") {
  EngineFixture fixture;
  json schema = {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}, {"required", {"name"}}};
  fixture.gateway("typed", {{"response_schema", schema}});
  std::string generated = R"({"name": ")" + std::string(400, 'x');
  fixture.fake->answers.push_back({content(generated), content("\"}"), finish("stop")});
  CancelToken cancel;
  fixture.fake->after_delta = [&] {
    if (fixture.fake->delivered == 1) cancel.cancel();
  };
  std::string shown;
  auto engine = fixture.engine();
  auto error = expect_error(
      [&] { engine.run(input_for("typed", "who?"), [&](const StreamDelta& delta) { shown += delta.content; }, cancel); });
  CHECK(error.kind() == ErrorKind::interrupted);
  CHECK(shown.empty());
  auto row = RequestLog(fixture.database).recent(1).front();
  CHECK(row.status == "cancelled");
  // About a token per four characters of the 409 generated.
  CHECK(row.completion_tokens >= 50);
}

TEST_CASE("engine: a client tool call's arguments get the masked originals back, JSON-escaped, however split") {
  EngineFixture fixture;
  // A quoted nickname is masked: its original holds characters JSON escapes.
  fixture.gateway("g", {{"guardrails", json::array({{{"name", "nick"}, {"type", "regex"}, {"patterns", "\"[A-Z][a-z]+\""},
                                                     {"action", "mask"}}})},
                        {"overridable", {"tools"}}});
  // The placeholder arrives split across two argument fragments.
  fixture.fake->answers.push_back({tool_call(0, "call_1", "send_mail", "{\"to\": \"[REDAC"),
                                   tool_call(0, "", "", "TED_1]\", \"note\": \"[x]\"}"), finish("tool_calls")});
  auto engine = fixture.engine();
  auto input = input_for("g", "mail \"Bob\" please");
  input.overrides = {{"tools", json::array({{{"type", "function"}, {"function", {{"name", "send_mail"}}}}})}};
  Completion streamed;
  auto result = engine.run(input, [&](const StreamDelta& delta) { streamed.apply(delta); }, CancelToken());
  auto sent = json(fixture.fake->requests[0].messages).dump();
  REQUIRE(sent.find("[REDACTED_1]") != std::string::npos);
  REQUIRE(streamed.tool_calls.size() == 1);
  CHECK(streamed.tool_calls[0].id == "call_1");
  CHECK(streamed.tool_calls[0].name == "send_mail");
  auto arguments = json::parse(streamed.tool_calls[0].arguments);
  CHECK(arguments["to"] == "\"Bob\"");
  CHECK(arguments["note"] == "[x]");  // no placeholder of this request: as written
  REQUIRE(result.completion.tool_calls.size() == 1);
  CHECK(result.completion.tool_calls[0].arguments == streamed.tool_calls[0].arguments);
  CHECK(result.completion.finish_reason == "tool_calls");
}

// ----- the response cache (core/engine/response_cache.hpp) -----

namespace {

// An engine whose clock the test moves, on a store with a price for the fake
// model (so answers cost something a hit saves).
struct CacheFixture : EngineFixture {
  int64_t now = 1'800'000'000'000;

  CacheFixture() { std::ofstream(paths.prices) << R"({"fake-model": {"input": 1000, "output": 2000}})"; }

  Engine engine() {
    auto engine_options = options();
    engine_options.clock = [this] { return now; };
    return Engine(database, paths, engine_options);
  }
  // Scripts one upstream answer: "Hel" + "lo", 10 tokens in and 5 out.
  void script_answer() { fake->answers.push_back({content("Hel"), content("lo"), finish("stop")}); }
  // Asks `message`; `seen` gets every delta the caller got.
  ChatResult ask(const std::string& target, const std::string& message, json overrides = json::object(),
                 std::vector<StreamDelta>* seen = nullptr) {
    auto input = input_for(target, message);
    input.overrides = std::move(overrides);
    return engine().run(std::move(input), [seen](const StreamDelta& delta) { if (seen) seen->push_back(delta); },
                        CancelToken());
  }
  static std::string status(const ChatResult& result) {
    return result.response["generation_context"]["cache"].value("status", "");
  }
};

}  // namespace

TEST_CASE("cache: the second identical request is a hit, replayed delta by delta with no upstream call") {
  CacheFixture fixture;
  fixture.gateway("cached", {{"cache", {{"mode", "exact"}}}});
  fixture.script_answer();
  auto first = fixture.ask("cached", "what is weir?");
  CHECK(CacheFixture::status(first) == "miss");
  REQUIRE(fixture.fake->requests.size() == 1);
  double cost = RequestLog(fixture.database).recent(1).front().cost;
  CHECK(cost > 0);

  std::vector<StreamDelta> seen;
  auto second = fixture.ask("cached", "what is weir?", json::object(), &seen);
  CHECK(fixture.fake->requests.size() == 1);  // nothing went upstream
  CHECK(second.completion.content == "Hello");
  CHECK(second.response["choices"][0]["message"]["content"] == "Hello");
  REQUIRE(seen.size() == 3);  // the pieces as first streamed, then the finish
  CHECK(seen[0].content == "Hel");
  CHECK(seen[1].content == "lo");
  CHECK(seen[2].finish_reason == "stop");
  auto cache = second.response["generation_context"]["cache"];
  CHECK(cache["status"] == "hit");
  CHECK(cache["saved"].get<double>() == doctest::Approx(cost));
  CHECK(second.response["generation_context"]["generated_usage"].empty());

  auto rows = RequestLog(fixture.database).recent(2);  // of one millisecond, maybe: in either order
  REQUIRE(rows.size() == 2);
  if (rows[0].cache != "hit") std::swap(rows[0], rows[1]);
  CHECK(rows[0].cache == "hit");
  CHECK(rows[0].cost == 0);
  CHECK(rows[0].saved == doctest::Approx(cost));
  CHECK(rows[1].cache == "miss");
  CHECK(rows[1].saved == 0);

  // A different question misses.
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("cached", "what is sqlite?")) == "miss");
  CHECK(fixture.fake->requests.size() == 2);
}

TEST_CASE("cache: a stored answer expires after its ttl (injected clock)") {
  CacheFixture fixture;
  fixture.gateway("cached", {{"cache", {{"ttl_seconds", 60}}}});
  fixture.script_answer();
  fixture.ask("cached", "hello");
  fixture.now += 59'999;
  CHECK(CacheFixture::status(fixture.ask("cached", "hello")) == "hit");
  fixture.now += 1;  // 60 s after it was stored
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("cached", "hello")) == "miss");
  CHECK(fixture.fake->requests.size() == 2);
  // The expired row was pruned when the new answer was stored.
  auto rows = fixture.database.prepare("SELECT count(*) FROM response_cache");
  rows.step();
  CHECK(rows.integer(0) == 1);
}

TEST_CASE("cache: a document added to the gateway's collection makes the next identical request miss") {
  CacheFixture fixture;
  fixture.add_documents("docs", {{"a", "weir keeps gateways in SQLite"}});
  fixture.gateway("grounded", {{"rag", {{"collections", {"docs"}}}}, {"cache", {{"mode", "exact"}}}});
  fixture.script_answer();
  fixture.ask("grounded", "where are gateways kept?");
  CHECK(CacheFixture::status(fixture.ask("grounded", "where are gateways kept?")) == "hit");

  Document document;
  document.docid = "b";
  document.text = "collections live beside them";
  upsert_document(fixture.database, fixture.paths, "docs", document, CancelToken());
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("grounded", "where are gateways kept?")) == "miss");
  CHECK(fixture.fake->requests.size() == 2);
  CHECK(CacheFixture::status(fixture.ask("grounded", "where are gateways kept?")) == "hit");

  // A change of tags alone (no new vector, no new generation) invalidates too.
  document.tags = {"changed"};
  upsert_document(fixture.database, fixture.paths, "docs", document, CancelToken());
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("grounded", "where are gateways kept?")) == "miss");
}

TEST_CASE("cache: client tools, cache=false and a temperature above the ceiling bypass it") {
  CacheFixture fixture;
  fixture.gateway("cached", {{"cache", {{"max_temperature", 0.5}}}, {"temperature", 0.2}});
  fixture.script_answer();
  fixture.ask("cached", "hello");  // stored
  auto bypassed = [&](json overrides, const std::string& reason) {
    fixture.script_answer();
    auto calls = fixture.fake->requests.size();
    auto result = fixture.ask("cached", "hello", std::move(overrides));
    auto cache = result.response["generation_context"]["cache"];
    CHECK(cache["status"] == "bypass");
    CHECK(cache["reason"].get<std::string>().find(reason) != std::string::npos);
    CHECK(fixture.fake->requests.size() == calls + 1);
  };
  bypassed({{"cache", false}}, "turned the cache off");
  bypassed({{"temperature", 0.9}}, "temperature 0.9 is above the cache's max_temperature 0.5");
  bypassed({{"tools", json::array({{{"type", "function"}, {"function", {{"name", "lookup"}, {"parameters", {{"type", "object"}}}}}}})}},
           "its own tools");
  // None of them stored anything, and the plain request still hits.
  CHECK(CacheFixture::status(fixture.ask("cached", "hello")) == "hit");
  // Rows of one millisecond have no order: count them instead.
  auto counted = fixture.database.prepare(
      "SELECT sum(cache = 'hit'), sum(cache = 'bypass'), sum(cache = 'miss') FROM requests");
  counted.step();
  CHECK(counted.integer(0) == 1);
  CHECK(counted.integer(1) == 3);
  CHECK(counted.integer(2) == 1);
  // A temperature within the ceiling is a different key (sampling is in it).
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("cached", "hello", {{"temperature", 0.4}})) == "miss");
  // `cache` must be a boolean.
  auto refused = expect_error([&] { fixture.ask("cached", "hello", {{"cache", "no"}}); });
  CHECK(refused.kind() == ErrorKind::usage);
  CHECK(std::string(refused.what()) == "'cache' must be true or false");
}

TEST_CASE("cache: an answer the caller cancelled or the upstream filtered is not stored; a dry run reads nothing") {
  CacheFixture fixture;
  fixture.gateway("cached", {{"cache", {{"mode", "exact"}}}});
  // Cancelled after the first delta.
  fixture.script_answer();
  CancelToken cancel;
  CHECK_THROWS_AS(fixture.engine().run(input_for("cached", "hello"), [&](const StreamDelta&) { cancel.cancel(); },
                                       cancel),
                  Error);
  CHECK(RequestLog(fixture.database).recent(1).front().status == "cancelled");
  // Not a complete answer.
  fixture.fake->answers.push_back({content("Hel"), finish("content_filter")});
  CHECK(CacheFixture::status(fixture.ask("cached", "hello")) == "miss");
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("cached", "hello")) == "miss");
  CHECK(fixture.fake->requests.size() == 3);
  CHECK(CacheFixture::status(fixture.ask("cached", "hello")) == "hit");
  auto prepared = fixture.engine().prepare(input_for("cached", "hello"));
  CHECK(prepared.cache.status.empty());
  CHECK(!prepared.request.messages.empty());  // a dry run prepares everything
}

TEST_CASE("cache: semantic mode answers a paraphrase above the threshold and not a different question") {
  CacheFixture fixture;
  fixture.gateway("semantic", {{"cache", {{"mode", "semantic"}}}});
  fixture.script_answer();
  fixture.ask("semantic", "How do I reset my password?");
  auto paraphrase = fixture.ask("semantic", "How can I reset my password?");
  auto cache = paraphrase.response["generation_context"]["cache"];
  CHECK(cache["status"] == "hit");
  CHECK(cache["similarity"].get<double>() >= CacheSettings{}.threshold);
  CHECK(cache["similarity"].get<double>() < 1.0);
  CHECK(fixture.fake->requests.size() == 1);
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("semantic", "How do I reset my router?")) == "miss");
  CHECK(fixture.fake->requests.size() == 2);
  // The earlier conversation is compared exactly: the same question after a
  // different exchange is a different request.
  auto input = input_for("semantic", "How can I reset my password?");
  input.messages = json::array({user("I use the mobile app"), {{"role", "assistant"}, {"content", "ok"}},
                                user("How can I reset my password?")});
  fixture.script_answer();
  auto later = fixture.engine().run(std::move(input), [](const StreamDelta&) {}, CancelToken());
  CHECK(CacheFixture::status(later) == "miss");
  // Entries cleared behind the index's back are forgotten, not replayed.
  ResponseCacheRepository(fixture.database).clear("");
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("semantic", "How can I reset my password?")) == "miss");
}

TEST_CASE("cache: a gateway that masks its input answers only the same message from the cache, never a similar one") {
  CacheFixture fixture;
  fixture.gateway("private", {{"cache", {{"mode", "semantic"}}},
                              {"guardrails", json::array({{{"name", "pii"}, {"type", "pii"}, {"action", "mask"}}})}});
  const std::string question =
      "Hello, I would like to know the current status of my recent order and when it will be delivered to my home "
      "address, and whether the delivery can be left with a neighbour if I am out. My email is ";
  const std::string alice = question + "alice@example.com", bob = question + "bob@example.com";
  // Similar enough that a semantic cache without masking would answer one with the other.
  auto a = embed_cache_prompt(alice), b = embed_cache_prompt(bob);
  double similarity = 0;
  for (size_t index = 0; index < a.size(); ++index) similarity += static_cast<double>(a[index]) * b[index];
  REQUIRE(similarity >= CacheSettings{}.threshold);
  fixture.script_answer();
  fixture.ask("private", alice);
  fixture.script_answer();
  CHECK(CacheFixture::status(fixture.ask("private", bob)) == "miss");
  CHECK(CacheFixture::status(fixture.ask("private", alice)) == "hit");
  CHECK(fixture.fake->requests.size() == 2);
  // The hit skipped the masking: its conversation is not logged with the originals.
  auto hit_row = RequestLog(fixture.database).recent(1).front();
  CHECK(hit_row.cache == "hit");
  CHECK(RequestLog(fixture.database).get(hit_row.id).conversation.is_null());
}

TEST_CASE("cache: the labelled paraphrase set, at the default threshold") {
  std::ifstream file(std::string(WEIR_SOURCE_DIR) + "/tests/data/cache_pairs.jsonl");
  REQUIRE(file);
  const double threshold = CacheSettings{}.threshold;
  int same = 0, same_hits = 0, different = 0, false_hits = 0;
  std::vector<std::pair<double, bool>> similarities;  // for the sweep printed below
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    auto pair = json::parse(line);
    auto a = embed_cache_prompt(pair["a"].get<std::string>());
    auto b = embed_cache_prompt(pair["b"].get<std::string>());
    double similarity = 0;
    for (size_t index = 0; index < a.size(); ++index) similarity += a[index] * b[index];
    bool hit = similarity >= threshold;
    similarities.emplace_back(similarity, pair["same"].get<bool>());
    if (pair["same"].get<bool>()) {
      ++same;
      same_hits += hit ? 1 : 0;
    } else {
      ++different;
      false_hits += hit ? 1 : 0;
    }
  }
  REQUIRE(same + different >= 50);
  double hit_rate = static_cast<double>(same_hits) / same;
  double false_hit_rate = static_cast<double>(false_hits) / different;
  MESSAGE("threshold " << threshold << ": hit rate " << hit_rate << " (" << same_hits << "/" << same
                       << "), false-hit rate " << false_hit_rate << " (" << false_hits << "/" << different << ")");
  double closest_different = 0;
  for (const auto& [similarity, is_same] : similarities)
    if (!is_same) closest_different = std::max(closest_different, similarity);
  MESSAGE("  the most similar different questions: " << closest_different);
  // How the choice of the default looked (the README quotes it).
  for (double candidate : {0.7, 0.75, 0.8, 0.85, 0.9, 0.95}) {
    int hits = 0, wrong = 0;
    for (const auto& [similarity, is_same] : similarities)
      if (similarity >= candidate) (is_same ? hits : wrong) += 1;
    MESSAGE("  at " << candidate << ": hit rate " << hits << "/" << same << ", false-hit rate " << wrong << "/"
                    << different);
  }
  CHECK(hit_rate >= 0.6);
  CHECK(false_hit_rate <= 0.05);
}

TEST_CASE("cache: the usage report's cache hits and money saved are the request log's") {
  CacheFixture fixture;
  fixture.gateway("cached", {{"cache", {{"mode", "exact"}}}});
  fixture.gateway("plain", {});
  for (const auto* question : {"one", "two"}) {
    fixture.script_answer();
    fixture.ask("cached", question);
  }
  fixture.ask("cached", "one");
  fixture.ask("cached", "two");
  fixture.ask("cached", "one");
  fixture.script_answer();
  fixture.ask("plain", "one");
  long long hits = 0;
  double saved = 0;
  for (const auto& row : RequestLog(fixture.database).recent(100)) {
    hits += row.cache == "hit" ? 1 : 0;
    saved += row.saved;
  }
  CHECK(hits == 3);
  // The log rows carry the real time of writing.
  auto report = usage_report(fixture.database, UsageDimension::gateway, 0, now_milliseconds() + 86'400'000);
  CHECK(report.total.cache_hits == hits);
  CHECK(report.total.saved == doctest::Approx(saved));
  for (const auto& row : report.rows) {
    CHECK(row.cache_hits == (row.group == "cached" ? 3 : 0));
    if (row.group == "cached") CHECK(row.saved == doctest::Approx(saved));
  }
  auto statistics = ResponseCacheRepository(fixture.database).statistics("", fixture.now);
  REQUIRE(statistics.size() == 1);
  CHECK(statistics[0].gateway_name == "cached");
  CHECK(statistics[0].entries == 2);
  CHECK(statistics[0].hits == 3);
  CHECK(statistics[0].misses == 2);
  CHECK(statistics[0].saved == doctest::Approx(saved));
}
