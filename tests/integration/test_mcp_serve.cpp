// `weir mcp serve` end to end: the built binary driven over stdin/stdout as an
// MCP client drives it, against an in-process fake upstream. One test case per
// method and per fault of issue 5.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace chunk = openai_chunk;

namespace {

struct McpFixture {
  FakeUpstream upstream;
  WeirHome home;

  McpFixture() {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
    auto created = home.run({"gateway", "create", "helper", "--provider", "fake", "--model", "fake-model"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  }

  void create_collection() {
    REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);
    std::string jsonl =
        json({{"docid", "cats"}, {"text", "Cats are small domesticated carnivorous mammals that purr."}, {"__tags", {"animals"}}}).dump() + "\n" +
        json({{"docid", "volcano"}, {"text", "A volcano erupts when magma rises through the crust of the Earth."}}).dump() + "\n" +
        json({{"docid", "qubits"}, {"text", "Quantum computers store information in qubits."}, {"__ref", "physics"}}).dump() + "\n";
    auto imported = home.run({"collection", "import", "kb", "-"}, jsonl);
    REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  }

  std::unique_ptr<McpSession> serve(const std::vector<std::string>& arguments = {"--gateway", "helper"}) {
    return std::make_unique<McpSession>(home, arguments);
  }
};

json call(McpSession& session, const std::string& tool, const json& arguments, const json& id, json meta = nullptr) {
  json params = {{"name", tool}, {"arguments", arguments}};
  if (!meta.is_null()) params["_meta"] = meta;
  return session.request("tools/call", params, id);
}

int error_code(const json& response) { return response.at("error").at("code").get<int>(); }

std::string text_of(const json& response) { return response["result"]["content"][0]["text"].get<std::string>(); }

json tool_names(const json& list_response) {
  auto names = json::array();
  for (const auto& tool : list_response["result"]["tools"]) names.push_back(tool["name"]);
  return names;
}

}  // namespace

TEST_CASE("initialize negotiates the protocol version; ping and tools/list answer") {
  McpFixture fixture;
  for (std::string version : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
    CAPTURE(version);
    auto session = fixture.serve();
    auto result = session->initialize(version);
    CHECK(result["protocolVersion"] == version);
    CHECK(result["serverInfo"]["name"] == "weir");
    CHECK(result["capabilities"].contains("tools"));
    CHECK(result["capabilities"].contains("logging"));
    CHECK(session->request("ping", nullptr, 2)["result"] == json::object());
    auto tools = session->request("tools/list", json::object(), 3)["result"]["tools"];
    REQUIRE(tools.size() == 1);
    CHECK(tools[0]["name"] == "invoke_ai_model");
    CHECK(tools[0]["inputSchema"]["required"] == json::array({"prompt"}));
    // Titles exist from 2025-06-18; older clients do not get them.
    CHECK(tools[0].contains("title") == (version >= "2025-06-18"));
    session->close_input();
    CHECK(session->wait_exit() == 0);
    CHECK(session->invalid_lines().empty());
  }
  // A version the server does not speak: it answers with its latest.
  auto session = fixture.serve();
  CHECK(session->initialize("2023-01-01")["protocolVersion"] == "2025-11-25");
  // No protocolVersion at all: invalid params.
  auto other = fixture.serve();
  CHECK(error_code(other->request("initialize", {{"capabilities", json::object()}}, 1)) == -32602);
}

TEST_CASE("protocol faults are JSON-RPC errors and the session goes on") {
  McpFixture fixture;
  auto session = fixture.serve();
  session->initialize();

  SUBCASE("parse error: -32700 with a null id") {
    session->send_raw("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \n");
    auto answer = session->wait_for([](const json& message) { return message.contains("error"); });
    REQUIRE(answer);
    CHECK(error_code(*answer) == -32700);
    CHECK((*answer)["id"].is_null());
  }
  SUBCASE("invalid request: -32600, with the id when it could be read") {
    session->send({{"jsonrpc", "1.0"}, {"id", 8}, {"method", "ping"}});
    auto wrong_version = session->response(8);
    REQUIRE(wrong_version);
    CHECK(error_code(*wrong_version) == -32600);
    session->send({{"jsonrpc", "2.0"}, {"id", 9}, {"method", 42}});
    auto wrong_method = session->response(9);
    REQUIRE(wrong_method);
    CHECK(error_code(*wrong_method) == -32600);
    session->send_raw("[1, 2]\n");
    auto batch = session->wait_for([](const json& message) { return message.contains("error") && message["id"].is_null(); });
    REQUIRE(batch);
    CHECK(error_code(*batch) == -32600);
  }
  SUBCASE("unknown method: -32601") {
    CHECK(error_code(session->request("resources/list", json::object(), 10)) == -32601);
    CHECK(error_code(session->request("no/such/method", nullptr, "text-id")) == -32601);
  }
  SUBCASE("invalid params: -32602") {
    CHECK(error_code(session->request("tools/call", {{"arguments", json::object()}}, 11)) == -32602);
    CHECK(error_code(session->request("tools/call", {{"name", "invoke_ai_model"}, {"arguments", "text"}}, 12)) == -32602);
    CHECK(error_code(session->request("logging/setLevel", {{"level", "loud"}}, 13)) == -32602);
  }
  SUBCASE("unknown tool: -32602 naming it") {
    auto answer = call(*session, "no_such_tool", json::object(), 14);
    CHECK(error_code(answer) == -32602);
    CHECK(answer["error"]["message"].get<std::string>().find("no_such_tool") != std::string::npos);
  }
  CHECK(session->request("ping", nullptr, 99).contains("result"));
  CHECK(session->invalid_lines().empty());
}

TEST_CASE("a message over 10 MiB is an error, not a crash; the next one is answered") {
  McpFixture fixture;
  auto session = fixture.serve();
  session->initialize();
  std::string huge = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"invoke_ai_model\","
                     "\"arguments\":{\"prompt\":\"" +
                     std::string(10 * 1024 * 1024 + 10, 'a') + "\"}}}\n";
  session->send_raw(huge);
  auto answer = session->wait_for([](const json& message) { return message.contains("error"); });
  REQUIRE(answer);
  CHECK(error_code(*answer) == -32600);
  CHECK((*answer)["error"]["message"].get<std::string>().find("too large") != std::string::npos);
  CHECK(session->request("ping", nullptr, 6).contains("result"));
  CHECK(fixture.upstream.request_count() == 0);
  // Deep nesting within the size limit is refused before parsing, not a stack overflow.
  session->send_raw("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\",\"params\":{\"x\":" +
                    std::string(1000000, '[') + std::string(1000000, ']') + "}}\n");
  auto deep = session->wait_for([](const json& message) {
    return message.contains("error") && message["error"]["message"].get<std::string>().find("nested") != std::string::npos;
  });
  REQUIRE(deep);
  CHECK(error_code(*deep) == -32600);
  CHECK(session->request("ping", nullptr, 9).contains("result"));
  // Just under the limit is accepted (and reaches the model).
  fixture.upstream.enqueue(ScriptedResponse::text_answer("long read", true));
  auto big = call(*session, "invoke_ai_model", {{"prompt", std::string(9 * 1024 * 1024, 'b')}}, 7);
  CHECK(text_of(big) == "long read");
}

TEST_CASE("invoke answers with the gateway's text and streams progress when asked") {
  McpFixture fixture;
  auto session = fixture.serve({"--gateway", "helper", "--tool-name", "Support Bot!", "--tool-title", "Support",
                                "--tool-description", "Ask support"});
  session->initialize();
  auto tools = session->request("tools/list", nullptr, 1)["result"]["tools"];
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["name"] == "invoke_support_bot_");
  CHECK(tools[0]["title"] == "Support");
  CHECK(tools[0]["description"] == "Ask support");

  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("forty"), chunk::content("-two"), chunk::finish("stop"), chunk::usage(5, 2), chunk::kDone},
      20ms));
  auto answer = call(*session, "invoke_support_bot_", {{"prompt", "six times seven?"}}, 2, {{"progressToken", "p1"}});
  CHECK(answer["result"]["isError"] == false);
  CHECK(text_of(answer) == "forty-two");
  auto body = fixture.upstream.requests().back().json_body;
  CHECK(body["messages"].back() == json({{"role", "user"}, {"content", "six times seven?"}}));

  std::string streamed;
  double last = 0;
  for (const auto& message : session->messages())
    if (message.value("method", "") == "notifications/progress" && message["params"]["progressToken"] == "p1") {
      CHECK(message["params"]["progress"].get<double>() > last);
      last = message["params"]["progress"].get<double>();
      streamed += message["params"]["message"].get<std::string>();
    }
  CHECK(streamed == "forty-two");

  // Without a progressToken there are no progress notifications.
  fixture.upstream.enqueue(ScriptedResponse::text_answer("quiet", true));
  auto before = session->messages().size();
  CHECK(text_of(call(*session, "invoke_support_bot_", {{"prompt", "hello"}}, 3)) == "quiet");
  auto after = session->messages();
  for (size_t index = before; index < after.size(); ++index)
    CHECK(after[index].value("method", "") != "notifications/progress");
}

TEST_CASE("tool failures are isError results a model can act on") {
  McpFixture fixture;
  auto session = fixture.serve();
  session->initialize();

  auto missing = call(*session, "invoke_ai_model", json::object(), 1);
  CHECK(missing["result"]["isError"] == true);
  CHECK(text_of(missing).find("'prompt' is required") != std::string::npos);
  auto wrong_type = call(*session, "invoke_ai_model", {{"prompt", 42}}, 2);
  CHECK(wrong_type["result"]["isError"] == true);

  fixture.upstream.enqueue(ScriptedResponse::json_body(500, {{"error", {{"message", "the model is on fire"}}}}));
  auto down = call(*session, "invoke_ai_model", {{"prompt", "hi"}}, 3);
  CHECK(down["result"]["isError"] == true);
  CHECK(text_of(down).find("try again") != std::string::npos);

  auto unknown_gateway = fixture.serve({"--gateway", "nobody"});
  unknown_gateway->initialize();
  auto not_found = call(*unknown_gateway, "invoke_ai_model", {{"prompt", "hi"}}, 4);
  CHECK(not_found["result"]["isError"] == true);
  CHECK(text_of(not_found).find("nobody") != std::string::npos);
}

TEST_CASE("two concurrent calls, and ping answered while an invoke is in flight") {
  McpFixture fixture;
  auto slow = ScriptedResponse::sse({chunk::role(), chunk::content("slow"), chunk::finish("stop"), chunk::kDone}, 400ms);
  fixture.upstream.enqueue(slow);
  fixture.upstream.enqueue(slow);
  auto session = fixture.serve();
  session->initialize();
  auto start = std::chrono::steady_clock::now();
  session->send({{"jsonrpc", "2.0"}, {"id", "a"}, {"method", "tools/call"},
                 {"params", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "one"}}}}}});
  session->send({{"jsonrpc", "2.0"}, {"id", "b"}, {"method", "tools/call"},
                 {"params", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "two"}}}}}});
  CHECK(fixture.upstream.wait_for_requests(2));  // both reached the upstream: neither waited for the other
  auto ping = session->request("ping", nullptr, "ping");
  CHECK(ping.contains("result"));
  // The ping was answered before either call.
  auto order = session->messages();
  size_t ping_at = 0, first_call_at = order.size();
  for (size_t index = 0; index < order.size(); ++index) {
    if (order[index].value("id", json()) == "ping") ping_at = index;
    if (order[index].value("id", json()) == "a" || order[index].value("id", json()) == "b")
      first_call_at = std::min(first_call_at, index);
  }
  CHECK(ping_at < first_call_at);
  auto a = session->response("a");
  auto b = session->response("b");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(text_of(*a) == "slow");
  CHECK(text_of(*b) == "slow");
  // Run one after the other, they would take at least 2 x 4 x 400 ms.
  CHECK(std::chrono::steady_clock::now() - start < 3000ms);
}

TEST_CASE("notifications/cancelled aborts the call and its upstream request") {
  McpFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("thinking")}, 30s));
  auto session = fixture.serve();
  session->initialize();
  session->send({{"jsonrpc", "2.0"}, {"id", 5}, {"method", "tools/call"},
                 {"params", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "think hard"}}}}}});
  // The upstream has sent what it will and gone silent: the call is under way.
  REQUIRE(fixture.upstream.wait_for_stalls(1));
  auto start = std::chrono::steady_clock::now();
  session->send({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 5}, {"reason", "user"}}}});
  // A cancelled request gets no response; the server is free at once.
  CHECK(session->request("ping", nullptr, 6).contains("result"));
  CHECK_FALSE(session->response(5, 1500ms));
  session->close_input();
  CHECK(session->wait_exit(10s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // not the 30 s stall
  auto logs = json::parse(fixture.home.run({"logs", "--json"}).out);
  REQUIRE(logs.size() == 1);
  CHECK(logs[0]["status"] == "cancelled");
}

TEST_CASE("stdin closed mid-call: the call still answers, then exit 0") {
  McpFixture fixture;
  fixture.upstream.enqueue(
      ScriptedResponse::sse({chunk::role(), chunk::content("late answer"), chunk::finish("stop"), chunk::kDone}, 250ms));
  auto session = fixture.serve();
  session->initialize();
  session->send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
                 {"params", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "hi"}}}}}});
  session->close_input();
  auto answer = session->response(1);
  REQUIRE(answer);
  CHECK(text_of(*answer) == "late answer");
  CHECK(session->wait_exit() == 0);
}

TEST_CASE("logging/setLevel chooses which call logs reach the client") {
  McpFixture fixture;
  auto session = fixture.serve();
  session->initialize();
  auto log_messages = [&session] {
    std::vector<json> logs;
    for (const auto& message : session->messages())
      if (message.value("method", "") == "notifications/message") logs.push_back(message["params"]);
    return logs;
  };
  // Default level warning: a successful call logs nothing, a failed one a warning.
  fixture.upstream.enqueue(ScriptedResponse::text_answer("fine", true));
  call(*session, "invoke_ai_model", {{"prompt", "hi"}}, 1);
  CHECK(log_messages().empty());
  call(*session, "invoke_ai_model", json::object(), 2);
  REQUIRE(log_messages().size() == 1);
  CHECK(log_messages()[0]["level"] == "warning");
  CHECK(log_messages()[0]["data"]["tool"] == "invoke_ai_model");

  CHECK(session->request("logging/setLevel", {{"level", "debug"}}, 3)["result"] == json::object());
  fixture.upstream.enqueue(ScriptedResponse::text_answer("fine", true));
  call(*session, "invoke_ai_model", {{"prompt", "hi"}}, 4);
  REQUIRE(log_messages().size() == 2);
  CHECK(log_messages()[1]["level"] == "debug");

  CHECK(session->request("logging/setLevel", {{"level", "error"}}, 5)["result"] == json::object());
  call(*session, "invoke_ai_model", json::object(), 6);
  CHECK(log_messages().size() == 2);
}

TEST_CASE("collection tools: search with structured results, limits, upsert and delete") {
  McpFixture fixture;
  fixture.create_collection();
  auto session = fixture.serve({"--collections", "kb", "--collection-tool-name", "Knowledge", "--top-k", "2",
                                "--min-score", "0.05", "--allow-write"});
  session->initialize();
  auto names = tool_names(session->request("tools/list", nullptr, 1));
  CHECK(names == json::array({"knowledge_search", "knowledge_upsert", "knowledge_delete"}));

  auto found = call(*session, "knowledge_search", {{"search_terms", {"volcano magma"}}}, 2);
  CHECK(found["result"]["isError"] == false);
  auto results = found["result"]["structuredContent"]["results"];
  REQUIRE(!results.empty());
  CHECK(results[0]["docid"] == "volcano");
  CHECK(results[0]["collection"] == "kb");
  CHECK(results[0]["score"].get<double>() > 0);
  CHECK(text_of(found).find("docid: volcano | collection: kb | score: ") != std::string::npos);
  CHECK(text_of(found).find("magma rises") != std::string::npos);

  auto too_many = call(*session, "knowledge_search", {{"search_terms", json(std::vector<std::string>(11, "cats"))}}, 3);
  CHECK(too_many["result"]["isError"] == true);
  auto too_long = call(*session, "knowledge_search", {{"search_terms", {std::string(300, 'x'), std::string(201, 'y')}}}, 4);
  CHECK(too_long["result"]["isError"] == true);
  CHECK(text_of(too_long).find("500") != std::string::npos);
  auto not_strings = call(*session, "knowledge_search", {{"search_terms", "cats"}}, 5);
  CHECK(not_strings["result"]["isError"] == true);

  auto added = call(*session, "knowledge_upsert",
                    {{"docid", "glaciers"}, {"text", "Glaciers are rivers of ice that carve valleys."}, {"tags", {"ice"}}}, 6);
  CHECK(added["result"]["isError"] == false);
  CHECK(text_of(added).find("added") != std::string::npos);
  auto glacier = call(*session, "knowledge_search", {{"search_terms", {"glaciers ice valleys"}}}, 7);
  REQUIRE(!glacier["result"]["structuredContent"]["results"].empty());
  CHECK(glacier["result"]["structuredContent"]["results"][0]["docid"] == "glaciers");

  auto bad_docid = call(*session, "knowledge_upsert", {{"docid", std::string(300, 'd')}, {"text", "x"}}, 8);
  CHECK(bad_docid["result"]["isError"] == true);

  CHECK(call(*session, "knowledge_delete", {{"docid", "glaciers"}}, 9)["result"]["isError"] == false);
  auto gone = call(*session, "knowledge_delete", {{"docid", "glaciers"}}, 10);
  CHECK(gone["result"]["isError"] == true);
  auto after = call(*session, "knowledge_search", {{"search_terms", {"glaciers ice valleys"}}}, 11);
  for (const auto& result : after["result"]["structuredContent"]["results"]) CHECK(result["docid"] != "glaciers");

  // Older clients get the text only (structuredContent arrived in 2025-06-18).
  auto old = fixture.serve({"--collections", "kb"});
  old->initialize("2025-03-26");
  auto old_tools = old->request("tools/list", nullptr, 1)["result"]["tools"];
  CHECK_FALSE(old_tools[0].contains("outputSchema"));
  auto old_found = call(*old, "kb_search", {{"search_terms", {"volcano"}}}, 2);
  CHECK_FALSE(old_found["result"].contains("structuredContent"));
  CHECK(text_of(old_found).find("volcano") != std::string::npos);
}

TEST_CASE("--config serves several gateways and collection sets; bad configurations are usage errors") {
  McpFixture fixture;
  fixture.create_collection();
  auto path = fixture.home.path() + "/mcp.json";
  std::ofstream(path) << json({{"gateways", {{{"gateway", "helper"}, {"tool_name", "first"}},
                                             {{"gateway", "helper"}, {"tool_name", "second"}, {"tool_title", "Second"}}}},
                               {"collections", {{{"collections", {"kb"}}, {"tool_name", "docs"}, {"allow_write", true}}}}})
                                 .dump();
  auto session = fixture.serve({"--config", path});
  session->initialize();
  CHECK(tool_names(session->request("tools/list", nullptr, 1)) ==
        json::array({"invoke_first", "invoke_second", "docs_search", "docs_upsert", "docs_delete"}));
  fixture.upstream.enqueue(ScriptedResponse::text_answer("from second", true));
  CHECK(text_of(call(*session, "invoke_second", {{"prompt", "hi"}}, 2)) == "from second");

  std::ofstream(path) << json({{"gateways", {{{"gateway", "helper"}, {"tool", "x"}}}}}).dump();
  auto unknown_key = fixture.home.run({"mcp", "serve", "--config", path});
  CHECK(unknown_key.exit_code == 2);
  CHECK(unknown_key.err.find("unknown key 'tool'") != std::string::npos);

  auto duplicate = fixture.home.run({"mcp", "serve", "--gateway", "helper", "--config", path + ".missing"});
  CHECK(duplicate.exit_code == 2);
  auto nothing = fixture.home.run({"mcp", "serve"});
  CHECK(nothing.exit_code == 2);
  CHECK(nothing.err.find("nothing to serve") != std::string::npos);
  auto bad_top = fixture.home.run({"mcp", "serve", "--collections", "kb", "--top-k", "0"});
  CHECK(bad_top.exit_code == 2);
}
