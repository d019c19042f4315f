// HTTP functions and built-in tools through the real binary: a gateway with
// an inline function and a function source, a fake model that calls them, and
// a fake receiver that checks every request's signature against the key
// `weir hook-key show` prints (recomputed by Python's hmac, not by weir).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/signature_check.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

struct FunctionsFixture {
  FakeUpstream model;
  FakeUpstream receiver;
  WeirHome home;

  FunctionsFixture() {
    REQUIRE(home.run({"provider", "add", "fake", "--base-url", model.base_url(), "--max-retries", "0"}).exit_code == 0);
    receiver.answer_posts_matching("/fn/.*");
  }

  void apply(json gateway) {
    gateway["name"] = "g";
    gateway["provider"] = "fake";
    gateway["model"] = "fake-model";
    auto applied = home.run({"gateway", "apply", "-f", "-"}, gateway.dump());
    REQUIRE_MESSAGE(applied.exit_code == 0, applied.err);
  }

  // The model calls `name` with `arguments`, then answers "done".
  void model_calls(const std::vector<std::pair<std::string, std::string>>& calls) {
    std::vector<std::string> payloads = {chunk::role()};
    for (size_t index = 0; index < calls.size(); ++index)
      payloads.push_back(chunk::tool_call(static_cast<int>(index), "call_" + std::to_string(index), calls[index].first,
                                          calls[index].second));
    payloads.push_back(chunk::finish("tool_calls"));
    payloads.push_back(chunk::kDone);
    model.enqueue(ScriptedResponse::sse(payloads));
    model.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("done"), chunk::finish("stop"), chunk::kDone}));
  }

  // The tool messages of the model's second request, by tool_call_id.
  std::map<std::string, std::string> tool_results() {
    std::map<std::string, std::string> results;
    auto requests = model.requests();
    REQUIRE(requests.size() >= 2);
    for (const auto& message : requests[1].json_body["messages"])
      if (message["role"] == "tool") results[message["tool_call_id"]] = message["content"].get<std::string>();
    return results;
  }

  std::string hook_key() {
    auto shown = home.run({"hook-key", "show"});
    REQUIRE(shown.exit_code == 0);
    auto key = shown.out;
    while (!key.empty() && key.back() == '\n') key.pop_back();
    REQUIRE(key.size() == 64);
    return key;
  }
};

const json kLookupSchema = {{"type", "object"},
                            {"properties", {{"id", {{"type", "integer"}, {"minimum", 1}}}}},
                            {"required", {"id"}},
                            {"additionalProperties", false}};

}  // namespace

TEST_CASE("http functions: an inline function and a source's function are called, signed, results verbatim") {
  FunctionsFixture fixture;
  fixture.receiver.answer_get(
      "/functions",
      {{"functions", json::array({{{"name", "weather"},
                                   {"description", "Weather in a city"},
                                   {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}},
                                   {"url", fixture.receiver.root_url() + "/fn/weather"}}})}});
  fixture.apply({{"functions", json::array({{{"name", "lookup"},
                                             {"description", "Look up an order"},
                                             {"parameters", kLookupSchema},
                                             {"url", fixture.receiver.root_url() + "/fn/lookup"},
                                             {"headers", {{"X-Tenant", "acme"}}}}})},
                 {"function_sources", json::array({fixture.receiver.root_url() + "/functions"})}});
  fixture.receiver.enqueue(ScriptedResponse::raw(200, "text/plain", "order 7: shipped"));
  fixture.receiver.enqueue(ScriptedResponse::raw(201, "application/json", "{\"temperature\": 12}"));
  fixture.model_calls({{"lookup", "{\"id\": 7}"}, {"weather", "{\"city\":\"Lyon\"}"}});

  auto result = fixture.home.run({"--json", "chat", "g", "--user", "alice", "--session", "s1", "where is my order?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out.find("done") != std::string::npos);

  // The model was offered both functions with their schemas.
  auto first = fixture.model.requests().front().json_body;
  std::map<std::string, json> offered;
  for (const auto& tool : first["tools"]) offered[tool["function"]["name"]] = tool["function"];
  REQUIRE(offered.count("lookup") == 1);
  REQUIRE(offered.count("weather") == 1);
  CHECK(offered["lookup"]["parameters"] == kLookupSchema);

  auto results = fixture.tool_results();
  CHECK(results["call_0"] == "order 7: shipped");
  CHECK(results["call_1"] == "{\"temperature\": 12}");

  auto key = fixture.hook_key();
  auto requests = fixture.receiver.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].path == "/functions");
  check_signed(requests[0], key);
  CHECK(requests[1].path == "/fn/lookup");
  CHECK(requests[1].header("X-Tenant") == "acme");
  CHECK(requests[1].header("Content-Type") == "application/json");
  check_signed(requests[1], key);
  const auto& body = requests[1].json_body;
  CHECK(body["type"] == "tool_call");
  CHECK(body["function"] == json{{"name", "lookup"}, {"content", {{"id", 7}}}});
  CHECK(body["context"]["user"] == "alice");
  CHECK(body["context"]["conversation"] == "s1");
  auto moment = body["context"]["moment"].get<std::string>();
  CHECK(moment.size() == 20);
  CHECK(moment.back() == 'Z');
  CHECK(requests[2].path == "/fn/weather");
  CHECK(requests[2].json_body["function"]["content"] == json{{"city", "Lyon"}});
  check_signed(requests[2], key);

  // A changed body no longer matches: the check above can fail.
  CHECK(python_signature(key, requests[1].header("X-Weir-Timestamp"), requests[1].body + " ") !=
        requests[1].header("X-Weir-Signature"));
}

TEST_CASE("http functions: schema-invalid arguments go back to the model and nothing is sent") {
  FunctionsFixture fixture;
  fixture.apply({{"functions", json::array({{{"name", "lookup"},
                                             {"parameters", kLookupSchema},
                                             {"url", fixture.receiver.root_url() + "/fn/lookup"}}})}});
  fixture.model_calls({{"lookup", "{\"id\": \"seven\", \"extra\": 1}"}});
  auto result = fixture.home.run({"chat", "g", "where is my order?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto message = fixture.tool_results()["call_0"];
  CHECK(message.find("do not match its parameters") != std::string::npos);
  CHECK(message.find("/id") != std::string::npos);
  CHECK(message.find("not called") != std::string::npos);
  CHECK(fixture.receiver.request_count() == 0);
}

TEST_CASE("http functions: a failing call names the function and the status; the model carries on") {
  FunctionsFixture fixture;
  fixture.apply({{"functions", json::array({{{"name", "lookup"},
                                             {"parameters", kLookupSchema},
                                             {"url", fixture.receiver.root_url() + "/fn/lookup"}}})}});
  fixture.receiver.enqueue(ScriptedResponse::raw(503, "text/plain", "down for maintenance"));
  fixture.model_calls({{"lookup", "{\"id\": 3}"}});
  auto result = fixture.home.run({"--json", "chat", "g", "where is my order?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto message = fixture.tool_results()["call_0"];
  CHECK(message.find("function 'lookup' answered HTTP 503") != std::string::npos);
  CHECK(message.find("down for maintenance") != std::string::npos);
  CHECK(fixture.receiver.request_count() == 1);
}

TEST_CASE("http functions: a failing function source fails the request, naming it, before the model is called") {
  FunctionsFixture fixture;
  auto url = fixture.receiver.root_url() + "/no-such-source";
  fixture.apply({{"function_sources", json::array({url})}});
  auto result = fixture.home.run({"chat", "g", "hello"});
  CHECK(result.exit_code == 4);
  CHECK_MESSAGE(result.err.find(url) != std::string::npos, result.err);
  CHECK(result.err.find("HTTP 404") != std::string::npos);
  CHECK(fixture.model.request_count() == 0);
}

TEST_CASE("http functions: a dry run lists inline functions and contacts nothing") {
  FunctionsFixture fixture;
  fixture.apply({{"functions", json::array({{{"name", "lookup"},
                                             {"parameters", kLookupSchema},
                                             {"url", fixture.receiver.root_url() + "/fn/lookup"},
                                             {"headers", {{"Authorization", "Bearer literal-secret"}}}}})},
                 {"function_sources", json::array({fixture.receiver.root_url() + "/functions"})}});
  auto result = fixture.home.run({"chat", "g", "--dry-run", "hello"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out.find("lookup") != std::string::npos);
  CHECK(result.out.find("literal-secret") == std::string::npos);
  CHECK(fixture.receiver.request_count() == 0);
  CHECK(fixture.model.request_count() == 0);
}

TEST_CASE("built-in tools: current_time answers, open_url reads a loopback page only when allowed") {
  FunctionsFixture fixture;
  fixture.receiver.answer_get("/page", {{"note", "hello from the page"}});
  fixture.apply({{"builtin_tools", json::array({"current_time", "open_url"})}, {"open_url_allow_private", true}});
  fixture.model_calls({{"current_time", "{\"time_zone\": \"Europe/Paris\"}"},
                       {"open_url", json{{"urls", {fixture.receiver.root_url() + "/page"}}}.dump()},
                       {"current_time", "{\"time_zone\": \"Mars/Olympus\"}"}});
  auto result = fixture.home.run({"chat", "g", "what time is it?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto results = fixture.tool_results();
  auto time = json::parse(results["call_0"]);
  CHECK(time["time_zone"] == "Europe/Paris");
  CHECK((time["utc_offset"] == "+01:00" || time["utc_offset"] == "+02:00"));
  CHECK(results["call_1"].find("hello from the page") != std::string::npos);
  CHECK(results["call_2"].find("unknown time zone 'Mars/Olympus'") != std::string::npos);
}

TEST_CASE("built-in tools: open_url refuses a loopback address without open_url_allow_private") {
  FunctionsFixture fixture;
  fixture.receiver.answer_get("/page", {{"note", "hello from the page"}});
  fixture.apply({{"builtin_tools", json::array({"open_url"})}});
  fixture.model_calls({{"open_url", json{{"urls", {fixture.receiver.root_url() + "/page"}}}.dump()}});
  auto result = fixture.home.run({"chat", "g", "read it"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto message = fixture.tool_results()["call_0"];
  CHECK(message.find("open_url refuses") != std::string::npos);
  CHECK(message.find("127.0.0.1") != std::string::npos);
  CHECK(message.find("open_url_allow_private") != std::string::npos);
  CHECK(fixture.receiver.request_count() == 0);
}

TEST_CASE("http functions: gateway show redacts a literal credential in a function's headers") {
  FunctionsFixture fixture;
  fixture.apply({{"functions", json::array({{{"name", "lookup"},
                                             {"url", fixture.receiver.root_url() + "/fn/lookup"},
                                             {"headers", {{"Authorization", "Bearer literal-secret"},
                                                          {"X-Api-Key", "${ORDERS_KEY}"},
                                                          {"X-Tenant", "acme"}}}}})}});
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"gateway", "show", "g"}, std::vector<std::string>{"--json", "gateway", "show", "g"}}) {
    auto shown = fixture.home.run(command);
    REQUIRE(shown.exit_code == 0);
    CHECK(shown.out.find("literal-secret") == std::string::npos);
    CHECK(shown.out.find("Bearer ****") != std::string::npos);
    CHECK(shown.out.find("${ORDERS_KEY}") != std::string::npos);  // a reference is not a secret
    CHECK(shown.out.find("acme") != std::string::npos);
  }
}
