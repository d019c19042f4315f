// A gateway's `mcp_servers` end to end: the built `weir chat` against a fake
// model (tests/support/fake_upstream) that calls the tools of MCP servers:
// the scripted tests/support/fake_mcp_server.py (results of every kind, a
// crash, a timeout) and the pinned reference server
// @modelcontextprotocol/server-everything from tests/peers (skipped when
// the peers are not installed, unless WEIR_REQUIRE_PEERS=1).
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

const std::string kFakeServer = std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py";
const std::string kEverything =
    std::string(WEIR_SOURCE_DIR) + "/tests/peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js";

json fake_server(json extra = json::object()) {
  json server = {{"name", "fake"}, {"command", "python3"}, {"args", {kFakeServer}}};
  server.update(extra);
  return server;
}

struct McpFixture {
  FakeUpstream upstream;
  WeirHome home;

  explicit McpFixture(const json& servers) {
    auto added = home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
    auto created = home.run({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    auto exported = home.run({"gateway", "export", "g"});
    REQUIRE_MESSAGE(exported.exit_code == 0, exported.err);
    auto document = json::parse(exported.out);
    json* config = document.contains("config") ? &document["config"] : &document;
    (*config)["mcp_servers"] = servers;
    auto applied = home.run({"gateway", "apply", "-f", "-"}, document.dump());
    REQUIRE_MESSAGE(applied.exit_code == 0, applied.err);
  }

  // The model calls `tool` with `arguments`, then answers "ok".
  void model_calls(const std::string& tool, const json& arguments, const std::string& id = "call_1") {
    upstream.enqueue(ScriptedResponse::sse(
        {chunk::role(), chunk::tool_call(0, id, tool, arguments.dump()), chunk::finish("tool_calls"), chunk::kDone}));
    upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("ok"), chunk::finish("stop"), chunk::kDone}));
  }

  json chat_json(std::vector<std::string> arguments) {
    std::vector<std::string> full = {"--json", "chat", "g"};
    full.insert(full.end(), arguments.begin(), arguments.end());
    auto result = home.run(full);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return json::parse(result.out);
  }

  json body(size_t index) const {
    auto requests = upstream.requests();
    REQUIRE(requests.size() > index);
    return requests[index].json_body;
  }
  // The second request's messages after the user's: the assistant's call and the tool's answer (and images).
  json tool_message(size_t request_index = 1) const { return body(request_index)["messages"][2]; }
};

std::string file_text(const std::string& path) {
  std::ifstream file(path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

// Waits until the file holds `needle` (another process writes it), woken by
// inotify on its directory whenever a file there changes; false after the timeout.
bool wait_for_file_text(const std::string& path, const std::string& needle, std::chrono::seconds timeout) {
  auto directory = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(directory);
  int watcher = ::inotify_init1(IN_CLOEXEC);
  REQUIRE(watcher >= 0);
  REQUIRE(::inotify_add_watch(watcher, directory.c_str(), IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE) >= 0);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool found = false;
  while (!(found = file_text(path).find(needle) != std::string::npos)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd events{watcher, POLLIN, 0};
    if (::poll(&events, 1, static_cast<int>(left.count())) > 0) {
      char buffer[4096];
      ssize_t ignored = ::read(watcher, buffer, sizeof buffer);
      (void)ignored;
    }
  }
  ::close(watcher);
  return found;
}

bool everything_available() {
  if (std::filesystem::exists(kEverything)) return true;
  const char* required = std::getenv("WEIR_REQUIRE_PEERS");
  REQUIRE_MESSAGE(!(required && std::string(required) == "1"),
                  "WEIR_REQUIRE_PEERS=1 but tests/peers is not installed (npm ci in tests/peers)");
  return false;
}

}  // namespace

TEST_CASE("mcp servers: the model sees the server's tools and a text result comes back as the tool message") {
  McpFixture fixture(json::array({fake_server({{"allow", {"echo", "image", "fail", "meta", "crash", "hang"}}})}));
  fixture.model_calls("echo", {{"text", "hi"}});
  auto response = fixture.chat_json({"say hi"});
  CHECK(response["choices"][0]["message"]["content"] == "ok");

  auto tools = fixture.body(0)["tools"];
  std::vector<std::string> names;
  for (const auto& tool : tools) names.push_back(tool["function"]["name"]);
  CHECK(names == std::vector<std::string>{"echo", "hang", "crash", "image", "fail", "meta"});  // the server's order, across pages
  CHECK(tools[0]["function"]["description"] == "the echo tool");
  CHECK(tools[0]["function"]["parameters"]["properties"].contains("text"));

  auto messages = fixture.body(1)["messages"];
  REQUIRE(messages.size() == 3);
  CHECK(messages[2] == json{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "echo: hi"}});
  auto functions = response["generation_context"]["runned_functions"];
  REQUIRE(functions.size() == 1);
  CHECK(functions[0]["name"] == "echo");
  CHECK(functions[0]["success"] == true);
}

TEST_CASE("mcp servers: _meta carries the caller's user and conversation") {
  McpFixture fixture(json::array({fake_server()}));
  fixture.model_calls("meta", json::object());
  fixture.chat_json({"--user", "ann", "--session", "s1", "who am I"});
  auto meta = json::parse(fixture.tool_message()["content"].get<std::string>());
  CHECK(meta["weir/user"] == "ann");
  CHECK(meta["weir/conversation"] == "s1");
  CHECK(meta["progressToken"].is_string());  // progress is always asked for

  fixture.model_calls("meta", json::object(), "call_2");
  fixture.chat_json({"anonymous"});
  meta = json::parse(fixture.tool_message(3)["content"].get<std::string>());
  CHECK_FALSE(meta.contains("weir/user"));
  CHECK_FALSE(meta.contains("weir/conversation"));
}

TEST_CASE("mcp servers: images come back as content parts; isError is a failed call the model sees") {
  McpFixture fixture(json::array({fake_server()}));
  fixture.model_calls("image", json::object());
  fixture.chat_json({"draw"});
  auto messages = fixture.body(1)["messages"];
  REQUIRE(messages.size() == 4);
  CHECK(messages[2]["content"] == "a pixel");
  CHECK(messages[3]["role"] == "user");
  REQUIRE(messages[3]["content"].size() == 2);
  CHECK(messages[3]["content"][0]["type"] == "text");
  CHECK(messages[3]["content"][1]["type"] == "image_url");
  CHECK(messages[3]["content"][1]["image_url"]["url"].get<std::string>().rfind("data:image/png;base64,iVBOR", 0) == 0);

  fixture.model_calls("fail", json::object(), "call_2");
  auto response = fixture.chat_json({"fail"});
  CHECK(fixture.tool_message(3)["content"] == "error: the disk is full");
  CHECK(response["generation_context"]["runned_functions"][0]["success"] == false);
  CHECK(response["generation_context"]["runned_functions"][0]["error"] == "the disk is full");
}

TEST_CASE("mcp servers: structuredContent is passed as JSON text") {
  McpFixture fixture(json::array({fake_server()}));
  fixture.model_calls("structured", json::object());
  fixture.chat_json({"sum"});
  CHECK(json::parse(fixture.tool_message()["content"].get<std::string>()) == json{{"sum", 5}});
}

TEST_CASE("mcp servers: weir mcp serve passes a server's progress on to its own MCP caller, in order") {
  McpFixture fixture(json::array({fake_server({{"allow", {"progress"}}})}));
  fixture.model_calls("progress", {{"steps", 3}});
  McpSession session(fixture.home, {"--gateway", "g"});
  session.initialize();
  auto tools = session.request("tools/list", nullptr, 1)["result"]["tools"];
  REQUIRE(tools.size() == 1);
  auto answer = session.request(
      "tools/call",
      {{"name", tools[0]["name"]}, {"arguments", {{"prompt", "count"}}}, {"_meta", {{"progressToken", "outer"}}}}, 2);
  REQUIRE_MESSAGE(answer["result"]["isError"] == false, answer.dump());
  CHECK(answer["result"]["content"][0]["text"] == "ok");

  // The three reports of the server's tool, then the answer's text; MCP
  // progress must grow, so each notification's value is above the last.
  std::vector<std::string> reports;
  double last = -1;
  for (const auto& message : session.messages()) {
    if (message.value("method", "") != "notifications/progress") continue;
    CHECK(message["params"]["progressToken"] == "outer");
    CHECK(message["params"]["progress"].get<double>() > last);
    last = message["params"]["progress"].get<double>();
    reports.push_back(message["params"].value("message", ""));
  }
  REQUIRE(reports.size() == 4);
  CHECK(reports[0] == "progress: 1/3");
  CHECK(reports[1] == "progress: 2/3");
  CHECK(reports[2] == "progress: 3/3");
  CHECK(reports[3] == "ok");
}

TEST_CASE("mcp servers: a server that crashes mid-call fails that call, never sent twice; the next call starts it again") {
  auto marker = std::filesystem::temp_directory_path() / ("weir-mcp-crash-" + std::to_string(::getpid()));
  std::ofstream(marker) << "crash once";
  McpFixture fixture(json::array({fake_server({{"env", {"FAKE_MCP_CRASH_FILE=" + marker.string()}}})}));
  // The model calls `crash`, is told it failed, and calls it again in the same request.
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::tool_call(0, "call_1", "crash", "{}"), chunk::finish("tool_calls"), chunk::kDone}));
  fixture.model_calls("crash", json::object(), "call_2");
  auto response = fixture.chat_json({"crash"});
  CHECK_FALSE(std::filesystem::exists(marker));  // the server got the call, and crashed
  auto told = fixture.tool_message()["content"].get<std::string>();
  CHECK(told.find("MCP server 'fake' went away while running the tool 'crash'") != std::string::npos);
  CHECK(told.find("it may have run, so weir did not send it again") != std::string::npos);
  CHECK(fixture.body(2)["messages"][4]["content"] == "recovered");  // a new server answered the next call
  auto functions = response["generation_context"]["runned_functions"];
  REQUIRE(functions.size() == 2);
  CHECK(functions[0]["success"] == false);
  CHECK(functions[1]["success"] == true);
}

TEST_CASE("mcp servers: a server that never answers fails the call after timeout_ms; the model is told") {
  McpFixture fixture(json::array({fake_server({{"timeout_ms", 300}})}));
  fixture.model_calls("hang", json::object());
  auto response = fixture.chat_json({"wait"});
  auto content = fixture.tool_message()["content"].get<std::string>();
  CHECK(content.find("did not answer within 300 ms") != std::string::npos);
  CHECK(response["generation_context"]["runned_functions"][0]["success"] == false);
}

TEST_CASE("mcp servers: the server's stderr goes to the home's log, not to weir's output") {
  McpFixture fixture(json::array({fake_server()}));
  fixture.model_calls("stderr", json::object());
  auto result = fixture.home.run({"chat", "g", "log"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "ok\n");
  CHECK(result.err.find("a line for the log") == std::string::npos);
  std::ifstream log(fixture.home.path() + "/logs/mcp-fake.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text.find("a line for the log") != std::string::npos);
}

TEST_CASE("mcp servers: a server that cannot start fails the request before the model is called, naming it") {
  McpFixture fixture(json::array({json{{"name", "broken"}, {"command", "weir-no-such-mcp-server"}}}));
  auto result = fixture.home.run({"chat", "g", "hi"});
  CHECK(result.exit_code == 4);
  CHECK(result.err.find("MCP server 'broken'") != std::string::npos);
  CHECK(fixture.upstream.requests().empty());
}

TEST_CASE("mcp servers: server-everything over stdio: echo, get-sum, a tiny image, a long-running tool with progress") {
  if (!everything_available()) return;
  McpFixture fixture(json::array({json{{"name", "everything"},
                                       {"command", "node"},
                                       {"args", {kEverything, "stdio"}},
                                       {"allow", {"echo", "get-sum", "get-tiny-image", "trigger-long-running-operation"}}}}));
  fixture.model_calls("echo", {{"message", "hello"}});
  fixture.chat_json({"echo"});
  CHECK(fixture.tool_message()["content"] == "Echo: hello");
  REQUIRE(fixture.body(0)["tools"].size() == 4);

  fixture.model_calls("get-sum", {{"a", 2}, {"b", 40}}, "call_2");
  fixture.chat_json({"add"});
  CHECK(fixture.tool_message(3)["content"].get<std::string>().find("42") != std::string::npos);

  fixture.model_calls("get-tiny-image", json::object(), "call_3");
  fixture.chat_json({"image"});
  auto messages = fixture.body(5)["messages"];
  REQUIRE(messages.size() == 4);
  CHECK(messages[3]["content"][1]["image_url"]["url"].get<std::string>().rfind("data:image/png;base64,", 0) == 0);

  // Through weir serve, streamed: the server's progress reaches the caller as servertool events.
  fixture.model_calls("trigger-long-running-operation", {{"duration", 1}, {"steps", 2}}, "call_4");
  ServeProcess serve(fixture.home);
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions",
                            json({{"model", "g"}, {"stream", true}, {"messages", {{{"role", "user"}, {"content", "long"}}}}}).dump());
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  std::vector<json> progress;
  for (const auto& data : sse_data(reply.body)) {
    if (data == "[DONE]") continue;
    auto event = json::parse(data);
    if (event.contains("servertool") && event["servertool"]["state"] == "progress") progress.push_back(event["servertool"]);
  }
  REQUIRE(progress.size() == 2);
  CHECK(progress[0]["name"] == "trigger-long-running-operation");
  CHECK(progress[0]["progress"] == 1);
  CHECK(progress[1]["progress"] == 2);
  CHECK(progress[1]["total"] == 2);
  CHECK(fixture.tool_message(7)["content"].get<std::string>().find("completed") != std::string::npos);
}

TEST_CASE("mcp tools: a gateway's tools with their source, --json definitions, and one server ad hoc") {
  McpFixture fixture(json::array({fake_server({{"allow", {"echo", "meta"}}})}));
  auto listed = fixture.home.run({"mcp", "tools", "g"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  CHECK(listed.out.find("echo") != std::string::npos);
  CHECK(listed.out.find("MCP server 'fake'") != std::string::npos);
  CHECK(listed.out.find("the meta tool") != std::string::npos);
  CHECK(listed.out.find("image") == std::string::npos);  // not allowed

  auto definitions = fixture.home.run({"--json", "mcp", "tools", "g"});
  REQUIRE_MESSAGE(definitions.exit_code == 0, definitions.err);
  auto tools = json::parse(definitions.out);
  REQUIRE(tools.size() == 2);
  CHECK(tools[0]["type"] == "function");
  CHECK(tools[0]["function"]["name"] == "echo");

  auto ad_hoc = fixture.home.run({"--json", "mcp", "tools", "--command", "python3", "--", kFakeServer});
  REQUIRE_MESSAGE(ad_hoc.exit_code == 0, ad_hoc.err);
  CHECK(json::parse(ad_hoc.out).size() == 13);

  auto neither = fixture.home.run({"mcp", "tools"});
  CHECK(neither.exit_code == 2);
  CHECK(fixture.upstream.requests().empty());  // listing never calls the model
}

TEST_CASE("mcp servers: weir serve's /v1/mcp/collections as a streamable-HTTP source of another gateway") {
  McpFixture fixture(json::array());
  REQUIRE(fixture.home.run({"collection", "create", "kb"}).exit_code == 0);
  auto imported = fixture.home.run(
      {"collection", "import", "kb", "-"},
      json({{"docid", "volcano"}, {"text", "A volcano erupts when magma rises through the crust of the Earth."}}).dump() +
          "\n");
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  ServeProcess serve(fixture.home);
  json server = {{"name", "kb-over-http"},
                 {"url", serve.base_url() + "/v1/mcp/collections"},
                 {"headers", {"X-Mcp-Collection-Name: kb"}}};
  auto exported = json::parse(fixture.home.run({"gateway", "export", "g"}).out);
  json* config = exported.contains("config") ? &exported["config"] : &exported;
  (*config)["mcp_servers"] = json::array({server});
  REQUIRE(fixture.home.run({"gateway", "apply", "-f", "-"}, exported.dump()).exit_code == 0);

  auto listed = fixture.home.run({"--json", "mcp", "tools", "g"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  REQUIRE(json::parse(listed.out).size() == 1);
  CHECK(json::parse(listed.out)[0]["function"]["name"] == "kb_search");

  fixture.model_calls("kb_search", {{"search_terms", {"volcano magma"}}});
  auto response = fixture.chat_json({"what makes a volcano erupt?"});
  CHECK(fixture.tool_message()["content"].get<std::string>().find("magma rises") != std::string::npos);
  CHECK(response["generation_context"]["runned_functions"][0]["success"] == true);
}

TEST_CASE("mcp servers: a weir serve client that disconnects mid-call cancels the MCP call at the server") {
  McpFixture fixture(json::array({fake_server({{"timeout_ms", 600000}})}));
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::tool_call(0, "call_1", "hang", "{}"), chunk::finish("tool_calls"), chunk::kDone}));
  ServeProcess serve(fixture.home);
  std::string body = json({{"model", "g"}, {"stream", true}, {"messages", {{{"role", "user"}, {"content", "wait"}}}}}).dump();
  RawConnection connection(serve.port());
  connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  REQUIRE(connection.read_until("\"started\""));  // the servertool event: the MCP call is under way
  connection.close();
  CHECK(wait_for_file_text(fixture.home.path() + "/logs/mcp-fake.log", "cancelled request", std::chrono::seconds(30)));
}

TEST_CASE("mcp servers: a public-key caller never gets them; a private key does") {
  McpFixture fixture(json::array({fake_server()}));
  auto created = fixture.home.run({"key", "create", "web", "--public", "--json"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto public_key = json::parse(created.out)["key"].get<std::string>();
  auto private_key = json::parse(fixture.home.run({"key", "create", "ops", "--json"}).out)["key"].get<std::string>();
  auto id = json::parse(fixture.home.run({"gateway", "show", "g", "--json"}).out)["id"].get<std::string>();
  ServeProcess serve(fixture.home);

  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("no tools")));
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", json({{"model", id}, {"prompt", "hi"}}).dump(),
                            {{"Authorization", "Bearer " + public_key}});
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  CHECK_FALSE(fixture.body(0).contains("tools"));

  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("tools")));
  reply = http_request(serve.port(), "POST", "/v1/chat/completions", json({{"model", "g"}, {"prompt", "hi"}}).dump(),
                       {{"Authorization", "Bearer " + private_key}});
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  CHECK(fixture.body(1)["tools"].size() == 13);
}
