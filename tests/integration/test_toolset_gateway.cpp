// A gateway whose tools come from a stored tool set (`--toolset NAME`):
// the built `weir chat` against a fake model (tests/support/fake_upstream)
// that calls a tool of the set's OpenAPI service (another fake upstream
// serving the operation's path) and one of its MCP server
// (tests/support/fake_mcp_server.py). The model sees the names an MCP client
// of `weir mcp serve --toolset` sees; a set that does not exist fails the
// request before the model is called. A tool's limit (`--tool-limit`) is
// counted across the gateway and `weir mcp serve`: a call past it is a
// failed call and the service sees nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using json = nlohmann::json;
namespace chunk = openai_chunk;

namespace {

const std::string kFakeServer = std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py";

std::string library_document(const std::string& root_url) {
  return R"(openapi: 3.0.3
info: {title: Library, version: "1"}
servers: [{url: ")" + root_url + R"(/api"}]
paths:
  /books/{bookId}:
    get:
      operationId: getBook
      summary: One book
      parameters:
        - {name: bookId, in: path, required: true, schema: {type: string}}
)";
}

struct Fixture {
  FakeUpstream model;
  FakeUpstream service;
  WeirHome home;

  explicit Fixture(const std::vector<std::string>& toolset_flags = {}) {
    auto work = std::filesystem::path(home.path()) / "work";
    std::filesystem::create_directories(work);
    std::ofstream(work / "library.yaml") << library_document(service.root_url());
    home.working_directory = work.string();
    service.answer_get("/api/books/7", {{"id", "7"}, {"title", "Dune"}});
    run({"provider", "add", "fake", "--base-url", model.base_url(), "--max-retries", "0"});
    std::vector<std::string> create = {"toolset", "create", "library", "--openapi", "library.yaml", "--mcp-server",
                                       "fake=python3 " + kFakeServer, "--allow", "getBook,echo"};
    create.insert(create.end(), toolset_flags.begin(), toolset_flags.end());
    run(create);
  }

  std::string run(const std::vector<std::string>& arguments, int expected_exit = 0) {
    auto result = home.run(arguments);
    INFO(result.err);
    REQUIRE(result.exit_code == expected_exit);
    return result.exit_code == 0 ? result.out : result.err;
  }

  // The model calls `tool` with `arguments`, then answers "ok".
  void model_calls(const std::string& tool, const json& arguments) {
    model.enqueue(ScriptedResponse::sse(
        {chunk::role(), chunk::tool_call(0, "call_1", tool, arguments.dump()), chunk::finish("tool_calls"), chunk::kDone}));
    model.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("ok"), chunk::finish("stop"), chunk::kDone}));
  }

  json body(size_t index) const {
    auto requests = model.requests();
    REQUIRE(requests.size() > index);
    return requests[index].json_body;
  }
};

}  // namespace

TEST_CASE("toolset gateway: the model calls the set's OpenAPI and MCP tools by the names MCP clients see") {
  Fixture fixture;
  fixture.run({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model", "--toolset", "library"});

  fixture.model_calls("getBook", {{"bookId", "7"}});
  auto answer = json::parse(fixture.run({"--json", "chat", "g", "which book is 7?"}));
  CHECK(answer["choices"][0]["message"]["content"] == "ok");
  auto first = fixture.body(0);
  std::vector<std::string> offered;
  for (const auto& tool : first["tools"]) offered.push_back(tool["function"]["name"]);
  CHECK(offered == std::vector<std::string>{"getBook", "echo"});
  CHECK(first["tools"][0]["function"]["parameters"]["required"] == json{"bookId"});
  auto tool_message = fixture.body(1)["messages"][2];
  CHECK(tool_message["role"] == "tool");
  CHECK(tool_message["content"].get<std::string>().starts_with("HTTP 200\n"));
  CHECK(tool_message["content"].get<std::string>().find("Dune") != std::string::npos);
  REQUIRE(fixture.service.request_count() == 1);
  CHECK(fixture.service.requests()[0].path == "/api/books/7");

  fixture.model_calls("echo", {{"text", "hi"}});
  fixture.run({"chat", "g", "say hi"});
  CHECK(fixture.body(3)["messages"][2]["content"] == "echo: hi");

  // Arguments that break the operation's schema go back to the model; the service sees nothing.
  fixture.model_calls("getBook", {{"bookId", 7}});
  fixture.run({"chat", "g", "which book?"});
  auto refused = fixture.body(5)["messages"][2]["content"].get<std::string>();
  CHECK(refused.find("do not match its input schema") != std::string::npos);
  CHECK(fixture.service.request_count() == 1);
}

TEST_CASE("toolset gateway: two tool sets sharing an MCP server offer its tools once") {
  Fixture fixture;
  fixture.run({"toolset", "create", "echoes", "--mcp-server", "fake=python3 " + kFakeServer, "--allow", "echo"});
  fixture.run({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model", "--toolset", "library,echoes"});
  fixture.model_calls("echo", {{"text", "once"}});
  fixture.run({"chat", "g", "say once"});
  auto first = fixture.body(0);
  std::vector<std::string> offered;
  for (const auto& tool : first["tools"]) offered.push_back(tool["function"]["name"]);
  CHECK(offered == std::vector<std::string>{"getBook", "echo"});
  CHECK(fixture.body(1)["messages"][2]["content"] == "echo: once");
}

TEST_CASE("toolset gateway: a tool set that does not exist fails the request before the model is called") {
  Fixture fixture;
  fixture.run({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model", "--toolset", "missing"});
  auto error = fixture.run({"chat", "g", "hello"}, 3);
  CHECK(error.find("missing") != std::string::npos);
  CHECK(error.find("weir toolset list") != std::string::npos);
  CHECK(fixture.model.request_count() == 0);
}

TEST_CASE("toolset gateway: a tool's limit counts the gateway's calls and MCP clients' together") {
  Fixture fixture({"--tool-limit", "getBook=2/day"});
  auto shown = json::parse(fixture.run({"toolset", "show", "library", "--json"}));
  CHECK(shown["config"]["tool_limits"] == json{{"getBook", {{"requests_per_day", 2}}}});
  CHECK(fixture.run({"toolset", "show", "library"}).find("limits of getBook: 2 per day") != std::string::npos);
  fixture.run({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model", "--toolset", "library"});

  fixture.model_calls("getBook", {{"bookId", "7"}});
  fixture.run({"chat", "g", "which book is 7?"});
  CHECK(fixture.body(1)["messages"][2]["content"].get<std::string>().starts_with("HTTP 200"));

  McpSession session(fixture.home, {"--toolset", "library"});
  session.initialize();
  auto second = session.request("tools/call", {{"name", "getBook"}, {"arguments", {{"bookId", "7"}}}}, 1);
  REQUIRE(second.contains("result"));
  CHECK(second["result"]["isError"] == false);
  auto third = session.request("tools/call", {{"name", "getBook"}, {"arguments", {{"bookId", "7"}}}}, 2);
  REQUIRE(third.contains("result"));
  CHECK(third["result"]["isError"] == true);
  auto refusal = third["result"]["content"][0]["text"].get<std::string>();
  CHECK(refusal.find("tool 'getBook' is limited to 2") != std::string::npos);
  // Arguments the tool refuses use no quota, and say what is wrong rather than the limit.
  auto invalid = session.request("tools/call", {{"name", "getBook"}, {"arguments", {{"bookId", 7}}}}, 4);
  CHECK(invalid["result"]["isError"] == true);
  CHECK(invalid["result"]["content"][0]["text"].get<std::string>().find("input schema") != std::string::npos);
  auto unlimited = session.request("tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}, 3);
  CHECK(unlimited["result"]["content"][0]["text"] == "echo: hi");

  fixture.model_calls("getBook", {{"bookId", "7"}});
  fixture.run({"chat", "g", "and again?"});
  auto refused = fixture.body(3)["messages"][2]["content"].get<std::string>();
  CHECK(refused.find("tool 'getBook' is limited to 2") != std::string::npos);
  CHECK(fixture.service.request_count() == 2);  // the refused calls sent nothing
}

TEST_CASE("toolset gateway: a limit must name a tool the set offers and be a limit a tool can have") {
  Fixture fixture;
  auto unknown = fixture.home.run({"toolset", "update", "library", "--openapi", "library.yaml", "--tool-limit",
                                   "getBok=5/minute"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("tool_limits names 'getBok', which the set does not offer; it offers: getBook") !=
        std::string::npos);
  for (const std::string bad : {"getBook=5", "getBook=0/minute", "getBook=5/week", "=5/minute"}) {
    CAPTURE(bad);
    auto refused = fixture.home.run({"toolset", "update", "library", "--openapi", "library.yaml", "--tool-limit", bad});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("--tool-limit") != std::string::npos);
  }
  std::ofstream(std::filesystem::path(fixture.home.path()) / "work" / "set.json")
      << json{{"openapi", {{{"document", "library.yaml"}}}}, {"tool_limits", {{"getBook", {{"tokens_per_minute", 9}}}}}}
             .dump();
  auto tokens = fixture.home.run({"toolset", "update", "library", "-f", "set.json"});
  CHECK(tokens.exit_code == 2);
  CHECK(tokens.err.find("tool_limits.getBook has 'tokens_per_minute'") != std::string::npos);
}

TEST_CASE("toolset gateway: weir mcp serve --tool-limit limits a proxied server's tool; a limit on no served tool is a warning") {
  Fixture fixture;
  McpSession session(fixture.home, {"--mcp-server", "fake=python3 " + kFakeServer, "--tool-limit", "echo=1/day",
                                    "--tool-limit", "nothere=1/day"});
  session.initialize();
  auto first = session.request("tools/call", {{"name", "echo"}, {"arguments", {{"text", "a"}}}}, 1);
  CHECK(first["result"]["content"][0]["text"] == "echo: a");
  auto second = session.request("tools/call", {{"name", "echo"}, {"arguments", {{"text", "b"}}}}, 2);
  CHECK(second["result"]["isError"] == true);
  CHECK(second["result"]["content"][0]["text"].get<std::string>().find("is limited to 1 requests per day") != std::string::npos);
  auto calls = session.request("tools/call", {{"name", "call_count"}, {"arguments", json::object()}}, 3);
  CHECK(calls["result"]["content"][0]["text"] == "2");  // echo and this: the refused call never reached the server
  CHECK(session.wait_for_stderr("tool_limits names 'nothere'"));
}
