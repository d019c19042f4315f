// MCP over streamable HTTP end to end: `weir serve` on a free port in a
// temporary home, a fake OpenAI upstream in this process, and a raw-socket
// HTTP client so the test sees every status, header and SSE event.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/net/server.hpp"
#include "core/rag/shared_searcher.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/paths.hpp"
#include "mcp/http_endpoints.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace chunk = openai_chunk;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct McpHttpFixture {
  FakeUpstream upstream;
  WeirHome home;

  McpHttpFixture() {
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "helper", "--provider", "fake", "--model", "fake-model"});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  void create_collection() {
    run_ok({"collection", "create", "kb"});
    run_ok({"collection", "import", "kb", "-"},
           json({{"docid", "volcano"}, {"text", "A volcano erupts when magma rises through the crust of the Earth."}}).dump() +
               "\n" + json({{"docid", "cats"}, {"text", "Cats are small domesticated mammals that purr."}}).dump() + "\n");
  }
  std::string gateway_id() {
    return json::parse(run_ok({"gateway", "show", "helper", "--json"}).out)["id"].get<std::string>();
  }
  std::string create_key(const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"key", "create"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    arguments.push_back("--json");
    return json::parse(run_ok(arguments).out)["key"].get<std::string>();
  }
  json logs() { return json::parse(run_ok({"logs", "--json"}).out); }
};

// A client of one MCP endpoint: the session's headers on every POST.
struct McpHttpClient {
  McpHttpClient(int port_number, std::string endpoint, Headers configuration = {})
      : port(port_number), path(std::move(endpoint)), headers(std::move(configuration)) {}
  int port;
  std::string path;
  Headers headers;  // configuration and credentials, sent with every request
  std::string session;

  Headers all_headers(const Headers& extra = {}) const {
    Headers list = {{"Accept", "application/json, text/event-stream"}, {"Content-Type", "application/json"}};
    list.insert(list.end(), headers.begin(), headers.end());
    if (!session.empty()) list.emplace_back("Mcp-Session-Id", session);
    list.insert(list.end(), extra.begin(), extra.end());
    return list;
  }
  HttpReply post(const json& message, const Headers& extra = {}) const {
    return http_request(port, "POST", path, message.dump(), all_headers(extra));
  }
  HttpReply initialize() {
    auto reply = post({{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                       {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()},
                                   {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}});
    if (reply.status == 200) {
      session = reply.header("mcp-session-id");
      CHECK(post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}).status == 202);
    }
    return reply;
  }
  // The messages of a reply: its JSON body, or every event of its SSE stream.
  static std::vector<json> messages(const HttpReply& reply) {
    std::vector<json> list;
    if (reply.header("content-type").rfind("text/event-stream", 0) == 0) {
      for (const auto& data : sse_data(reply.body)) list.push_back(json::parse(data));
    } else {
      list.push_back(json::parse(reply.body));
    }
    return list;
  }
  json request(const json& id, const std::string& method, json params = json::object()) const {
    auto reply = post({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
    INFO(reply.raw);
    REQUIRE(reply.status == 200);
    return messages(reply).back();
  }
};

std::string error_message(const HttpReply& reply) {
  auto body = json::parse(reply.body, nullptr, false);
  INFO(reply.raw);
  REQUIRE(body.is_object());
  return body["error"]["message"].get<std::string>();
}

json tool_names(const json& list) {
  auto names = json::array();
  for (const auto& tool : list["result"]["tools"]) names.push_back(tool["name"]);
  return names;
}

std::string raw_post(const std::string& path, const std::string& session, const json& message) {
  auto body = message.dump();
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " + session +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("MCP over HTTP: initialize gives a session id; tools are named by the headers on both endpoints") {
  McpHttpFixture fixture;
  ServeProcess serve(fixture.home);
  McpHttpClient inference{serve.port(), "/v1/mcp/inference",
                          {{"X-Mcp-Model-Name", "helper"}, {"X-Mcp-Tool-Name", "Support Bot"},
                           {"X-Mcp-Tool-Title", "Support"}, {"X-Mcp-Tool-Description", "Ask support"}}};
  auto initialized = inference.initialize();
  REQUIRE(initialized.status == 200);
  CHECK(inference.session.size() == 32);
  CHECK(json::parse(initialized.body)["result"]["protocolVersion"] == "2025-11-25");
  auto tools = inference.request(1, "tools/list")["result"]["tools"];
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["name"] == "invoke_support_bot");
  CHECK(tools[0]["title"] == "Support");
  CHECK(tools[0]["description"] == "Ask support");

  McpHttpClient collections{serve.port(), "/v1/mcp/collections",
                            {{"X-Mcp-Collection-Name", "kb"}, {"X-Mcp-Tool-Name", "Knowledge"}, {"X-Mcp-Allow-Write", "true"}}};
  REQUIRE(collections.initialize().status == 200);
  CHECK(tool_names(collections.request(1, "tools/list")) ==
        json::array({"knowledge_search", "knowledge_upsert", "knowledge_delete"}));
  // A session belongs to its endpoint.
  McpHttpClient crossed = collections;
  crossed.path = "/v1/mcp/inference";
  CHECK(crossed.post({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}}).status == 404);

  McpHttpClient anonymous = inference;
  anonymous.session.clear();
  auto no_session = anonymous.post({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "ping"}});
  CHECK(no_session.status == 400);
  CHECK(error_message(no_session).find("Mcp-Session-Id") != std::string::npos);
  anonymous.session = "not-a-session";
  CHECK(anonymous.post({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "ping"}}).status == 404);
  CHECK(inference.post({{"jsonrpc", "2.0"}, {"id", 4}, {"method", "ping"}}, {{"MCP-Protocol-Version", "2030-01-01"}}).status ==
        400);
  CHECK(http_request(serve.port(), "GET", "/v1/mcp/inference", {}, inference.all_headers()).status == 405);
}

TEST_CASE("MCP over HTTP: invoke streams its progress as SSE on its own POST; the log records user and front door") {
  McpHttpFixture fixture;
  ServeProcess serve(fixture.home);
  McpHttpClient client{serve.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", "helper"}, {"X-Mcp-User", "ana"}}};
  REQUIRE(client.initialize().status == 200);
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("forty"), chunk::content("-two"), chunk::finish("stop"), chunk::usage(5, 2), chunk::kDone},
      20ms));
  auto reply = client.post({{"jsonrpc", "2.0"}, {"id", 7}, {"method", "tools/call"},
                            {"params", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "six times seven?"}}},
                                        {"_meta", {{"progressToken", "p1"}}}}}});
  INFO(reply.raw);
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type").rfind("text/event-stream", 0) == 0);
  auto messages = McpHttpClient::messages(reply);
  REQUIRE(messages.size() >= 2);
  std::string streamed;
  for (size_t index = 0; index + 1 < messages.size(); ++index) {
    CHECK(messages[index]["method"] == "notifications/progress");
    streamed += messages[index]["params"]["message"].get<std::string>();
  }
  CHECK(streamed == "forty-two");
  CHECK(messages.back()["id"] == 7);
  CHECK(messages.back()["result"]["content"][0]["text"] == "forty-two");
  CHECK(fixture.upstream.requests().back().json_body["messages"].back()["content"] == "six times seven?");

  auto rows = fixture.logs();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["front_door"] == "mcp-http");
  CHECK(rows[0]["metadata"]["user"] == "ana");
  CHECK(rows[0]["metadata"]["tool"] == "invoke_ai_model");
}

TEST_CASE("MCP over HTTP: the collection search tool answers with structured results") {
  McpHttpFixture fixture;
  fixture.create_collection();
  ServeProcess serve(fixture.home);
  McpHttpClient client{serve.port(), "/v1/mcp/collections",
                       {{"X-Mcp-Collection-Name", "kb"}, {"X-Mcp-Min-Score", "0.05"}, {"X-Mcp-Top-K", "1"}}};
  REQUIRE(client.initialize().status == 200);
  auto found = client.request(1, "tools/call", {{"name", "kb_search"}, {"arguments", {{"search_terms", {"volcano magma"}}}}});
  CHECK(found["result"]["isError"] == false);
  auto results = found["result"]["structuredContent"]["results"];
  REQUIRE(results.size() == 1);
  CHECK(results[0]["docid"] == "volcano");
  auto bad = client.request(2, "tools/call", {{"name", "kb_search"}, {"arguments", {{"search_terms", json::array()}}}});
  CHECK(bad["result"]["isError"] == true);
}

TEST_CASE("MCP over HTTP: bad or missing configuration headers are 400 naming the header") {
  McpHttpFixture fixture;
  ServeProcess serve(fixture.home);
  auto refused = [&](const std::string& path, const Headers& headers) {
    McpHttpClient client{serve.port(), path, headers};
    auto reply = client.initialize();
    CHECK(reply.status == 400);
    CHECK(client.session.empty());
    return error_message(reply);
  };
  CHECK(refused("/v1/mcp/inference", {}).find("send the X-Mcp-Model-Name header") != std::string::npos);
  CHECK(refused("/v1/mcp/collections", {}).find("X-Mcp-Collection-Name") != std::string::npos);
  CHECK(refused("/v1/mcp/collections", {{"X-Mcp-Collection-Name", "kb"}, {"X-Mcp-Top-K", "0"}})
            .find("X-Mcp-Top-K must be 1..128, got 0") != std::string::npos);
  CHECK(refused("/v1/mcp/collections", {{"X-Mcp-Collection-Name", "kb"}, {"X-Mcp-Min-Score", "2"}})
            .find("X-Mcp-Min-Score must be 0.01..0.99") != std::string::npos);
  CHECK(refused("/v1/mcp/collections", {{"X-Mcp-Collection-Name", "kb"}, {"X-Mcp-Reranker", "magic"}})
            .find("X-Mcp-Reranker") != std::string::npos);
  CHECK(refused("/v1/mcp/collections", {{"X-Mcp-Collection-Name", "kb"}, {"X-Mcp-Allow-Write", "perhaps"}})
            .find("X-Mcp-Allow-Write: must be true or false") != std::string::npos);
  CHECK(refused("/v1/mcp/inference", {{"X-Mcp-Model-Name", "helper"}, {"X-Mcp-Tool-Name", "???"}})
            .find("X-Mcp-Tool-Name") != std::string::npos);
}

TEST_CASE("MCP over HTTP: notifications/cancelled in a second POST aborts the call and its upstream request") {
  McpHttpFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("thinking")}, 30s));
  ServeProcess serve(fixture.home);
  McpHttpClient client{serve.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", "helper"}}};
  REQUIRE(client.initialize().status == 200);
  RawConnection call(serve.port());
  call.send(raw_post("/v1/mcp/inference", client.session,
                     {{"jsonrpc", "2.0"}, {"id", 5}, {"method", "tools/call"},
                      {"params", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "think hard"}}}}}}));
  // The upstream has sent what it will and gone silent: the call is under way.
  REQUIRE(fixture.upstream.wait_for_stalls(1));
  auto start = std::chrono::steady_clock::now();
  CHECK(client.post({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 5}}}}).status == 202);
  // The call's POST ends (its chunked stream closes) with no response in it.
  CHECK(call.read_until("0\r\n\r\n", 10s));
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // not the 30 s stall
  CHECK(call.received().find("\"result\"") == std::string::npos);
  CHECK(client.request(6, "ping")["result"] == json::object());
  auto rows = fixture.logs();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["status"] == "cancelled");
}

TEST_CASE("MCP over HTTP: DELETE ends the session; a client that hangs up cancels its call") {
  McpHttpFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("thinking")}, 30s));
  ServeProcess serve(fixture.home);
  McpHttpClient client{serve.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", "helper"}}};
  REQUIRE(client.initialize().status == 200);
  {
    RawConnection call(serve.port());
    call.send(raw_post("/v1/mcp/inference", client.session,
                       {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
                        {"params", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "think"}}}}}}));
    REQUIRE(fixture.upstream.wait_for_stalls(1));
    call.close();
  }
  CHECK(wait_for_store(fixture.home.path(), [&] {
    auto rows = fixture.logs();
    return rows.size() == 1 && rows[0]["status"] == "cancelled";
  }));

  auto ended = http_request(serve.port(), "DELETE", "/v1/mcp/inference", {}, client.all_headers());
  CHECK(ended.status == 200);
  auto after = client.post({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}});
  CHECK(after.status == 404);
  CHECK(http_request(serve.port(), "DELETE", "/v1/mcp/inference", {}, client.all_headers()).status == 404);
}

TEST_CASE("MCP over HTTP: keys are checked; public keys name the full gateway id and cannot use collections") {
  McpHttpFixture fixture;
  auto public_key = fixture.create_key({"web", "--public"});
  auto private_key = fixture.create_key({"ops"});
  auto id = fixture.gateway_id();
  ServeProcess serve(fixture.home);

  McpHttpClient nobody{serve.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", "helper"}}};
  CHECK(nobody.initialize().status == 401);

  McpHttpClient by_name{serve.port(), "/v1/mcp/inference",
                        {{"Authorization", "Bearer " + public_key}, {"X-Mcp-Model-Name", "helper"}}};
  auto refused = by_name.initialize();
  CHECK(refused.status == 403);
  CHECK(error_message(refused).find("full id") != std::string::npos);

  McpHttpClient search{serve.port(), "/v1/mcp/collections",
                       {{"Authorization", "Bearer " + public_key}, {"X-Mcp-Collection-Name", "kb"}}};
  CHECK(search.initialize().status == 403);

  McpHttpClient by_id{serve.port(), "/v1/mcp/inference",
                      {{"Authorization", "Bearer " + public_key}, {"X-Mcp-Model-Name", id}}};
  REQUIRE(by_id.initialize().status == 200);
  fixture.upstream.enqueue(ScriptedResponse::text_answer("public answer", true));
  auto answer = by_id.request(1, "tools/call", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "hi"}}}});
  CHECK(answer["result"]["content"][0]["text"] == "public answer");
  CHECK(fixture.logs()[0]["metadata"]["api_key"] == "web");

  // The session is the key's: another key cannot use it.
  McpHttpClient stolen = by_id;
  stolen.headers[0] = {"Authorization", "Bearer " + private_key};
  CHECK(stolen.post({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}}).status == 404);

  McpHttpClient private_search{serve.port(), "/v1/mcp/collections",
                               {{"Authorization", "Bearer " + private_key}, {"X-Mcp-Collection-Name", "kb"}}};
  CHECK(private_search.initialize().status == 200);
}

TEST_CASE("MCP over HTTP in process: the authorizer's public caller runs the engine without server-side tools") {
  McpHttpFixture fixture;
  fixture.create_collection();
  // query_function: a private caller's upstream request offers the search tool.
  fixture.run_ok({"gateway", "create", "rag", "--provider", "fake", "--model", "fake-model", "--collection", "kb",
                  "--strategy", "query_function"});
  auto rag_id = json::parse(fixture.run_ok({"gateway", "show", "rag", "--json"}).out)["id"].get<std::string>();

  weir::DatabasePool pool(weir::resolve_paths(fixture.home.path()));
  weir::SharedSearcher searcher(pool);
  auto public_caller = [](const weir::http::Request&) { return weir::Caller{"web", true}; };
  weir::mcp::HttpEndpoints public_endpoints(pool, searcher, public_caller);
  weir::mcp::HttpEndpoints private_endpoints(pool, searcher, [](const weir::http::Request&) {
    return weir::Caller{"ops", false};
  });
  weir::http::ServerOptions options;
  options.port = 0;
  weir::http::Server public_server(options);
  weir::http::Server private_server(options);
  public_endpoints.mount(public_server);
  private_endpoints.mount(private_server);
  public_server.listen();
  private_server.listen();
  std::thread public_runner([&] { public_server.run(); });
  std::thread private_runner([&] { private_server.run(); });

  McpHttpClient by_name{public_server.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", "rag"}}};
  auto refused = by_name.initialize();
  CHECK(refused.status == 403);
  CHECK(error_message(refused).find("full id") != std::string::npos);
  McpHttpClient collections{public_server.port(), "/v1/mcp/collections", {{"X-Mcp-Collection-Name", "kb"}}};
  CHECK(collections.initialize().status == 403);

  fixture.upstream.set_default(ScriptedResponse::text_answer("answered", true));
  McpHttpClient public_client{public_server.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", rag_id}}};
  REQUIRE(public_client.initialize().status == 200);
  auto answer = public_client.request(1, "tools/call", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "volcano?"}}}});
  CHECK(answer["result"]["content"][0]["text"] == "answered");
  CHECK_FALSE(fixture.upstream.requests().back().json_body.contains("tools"));

  McpHttpClient private_client{private_server.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", "rag"}}};
  REQUIRE(private_client.initialize().status == 200);
  private_client.request(1, "tools/call", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "volcano?"}}}});
  CHECK(fixture.upstream.requests().back().json_body.contains("tools"));

  CHECK(public_endpoints.session_count() == 1);
  CHECK(public_endpoints.shutdown(std::chrono::seconds(10)));
  CHECK(private_endpoints.shutdown(std::chrono::seconds(10)));
  CHECK(public_endpoints.session_count() == 0);
  public_server.stop();
  private_server.stop();
  public_runner.join();
  private_runner.join();
}

TEST_CASE("MCP over HTTP: tool sets at /v1/mcp/toolsets/NAME; a key limited to one cannot reach another; calls are logged with their key") {
  McpHttpFixture fixture;
  const std::string fake_server = "python3 " + std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py";
  fixture.run_ok({"toolset", "create", "files", "--mcp-server", "fake=" + fake_server});
  fixture.run_ok({"toolset", "create", "admin-tools", "--mcp-server", "other=" + fake_server, "--allow", "echo"});
  auto limited = fixture.create_key({"limited", "--toolsets", "files"});
  auto admin = fixture.create_key({"admin"});
  auto public_key = fixture.create_key({"app", "--public"});
  ServeProcess serve(fixture.home);
  auto bearer = [](const std::string& key) { return Headers{{"Authorization", "Bearer " + key}}; };

  McpHttpClient files{serve.port(), "/v1/mcp/toolsets/files", bearer(limited)};
  REQUIRE(files.initialize().status == 200);
  auto names = tool_names(files.request(1, "tools/list"));
  CHECK(std::find(names.begin(), names.end(), "echo") != names.end());
  auto echoed = files.request(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}});
  CHECK(echoed["result"]["content"][0]["text"] == "echo: hi");

  // The limited key reaches its tool set only; a public key reaches none.
  McpHttpClient other{serve.port(), "/v1/mcp/toolsets/admin-tools", bearer(limited)};
  auto refused = other.initialize();
  CHECK(refused.status == 403);
  CHECK(error_message(refused) == "API key 'limited' may use the tool sets files only, not 'admin-tools'");
  McpHttpClient as_public{serve.port(), "/v1/mcp/toolsets/files", bearer(public_key)};
  CHECK(as_public.initialize().status == 403);
  McpHttpClient as_admin{serve.port(), "/v1/mcp/toolsets/admin-tools", bearer(admin)};
  REQUIRE(as_admin.initialize().status == 200);
  CHECK(tool_names(as_admin.request(1, "tools/list")) == json::array({"echo"}));
  McpHttpClient unknown{serve.port(), "/v1/mcp/toolsets/nothing", bearer(admin)};
  CHECK(unknown.initialize().status == 404);
  CHECK(files.request(3, "tools/call", {{"name", "fail"}, {"arguments", json::object()}})["result"]["isError"] == true);

  // Each call is a row with its key; usage by tool sums them.
  json rows;
  for (int attempt = 0; attempt < 500 && rows.size() < 2; ++attempt)  // written just after each answer
    rows = json::parse(fixture.run_ok({"--json", "logs", "tools"}).out);
  REQUIRE(rows.size() == 2);
  for (const auto& row : rows) {
    CHECK(row["caller"] == "limited");
    CHECK(row["front_door"] == "mcp-http");
    CHECK(row["source"] == "MCP server 'fake'");
  }
  auto usage = json::parse(fixture.run_ok({"--json", "usage", "--by", "tool"}).out)["groups"];
  REQUIRE(usage.size() == 2);
  CHECK(usage[0]["callers"] == json::array({"limited"}));
  auto listed = json::parse(fixture.run_ok({"--json", "key", "list"}).out);
  CHECK(listed[0]["toolsets"] == json::array({"files"}));
}

TEST_CASE("MCP over HTTP: a tool set's server changes its tools: list_changed on the session's GET stream, the new list served") {
  McpHttpFixture fixture;
  const std::string fake_server = "python3 " + std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py";
  fixture.run_ok({"toolset", "create", "files", "--mcp-server", "fake=" + fake_server});
  ServeProcess serve(fixture.home);
  McpHttpClient files{serve.port(), "/v1/mcp/toolsets/files"};
  auto initialized = files.initialize();
  REQUIRE(initialized.status == 200);
  CHECK(McpHttpClient::messages(initialized)[0]["result"]["capabilities"]["tools"]["listChanged"] == true);

  RawConnection listen(serve.port());
  listen.send("GET /v1/mcp/toolsets/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: " +
              files.session + "\r\n\r\n");
  REQUIRE(listen.read_until("\r\n\r\n"));  // the stream's head: it listens from now on
  CHECK(listen.received().rfind("HTTP/1.1 200", 0) == 0);
  CHECK(listen.received().find("text/event-stream") != std::string::npos);
  CHECK(http_request(serve.port(), "GET", files.path, {}, files.all_headers()).status == 409);  // one per session

  auto changed = files.request(1, "tools/call", {{"name", "change"}, {"arguments", {{"text", "fresh"}}}});
  CHECK(changed["result"]["content"][0]["text"] == "changed");
  REQUIRE(listen.read_until("notifications/tools/list_changed"));
  auto names = tool_names(files.request(2, "tools/list"));
  CHECK(std::find(names.begin(), names.end(), "fresh") != names.end());
  auto fresh = files.request(3, "tools/call", {{"name", "fresh"}, {"arguments", json::object()}});
  CHECK(fresh["result"]["content"][0]["text"] == "fresh: called");

  // DELETE ends the session, and with it the stream (the chunked body's last chunk).
  CHECK(http_request(serve.port(), "DELETE", files.path, {}, files.all_headers()).status == 200);
  CHECK(listen.read_until("\r\n0\r\n\r\n"));
  // A session whose tools never change has nothing to listen to.
  McpHttpClient inference{serve.port(), "/v1/mcp/inference", {{"X-Mcp-Model-Name", "helper"}}};
  REQUIRE(inference.initialize().status == 200);
  CHECK(http_request(serve.port(), "GET", inference.path, {}, inference.all_headers()).status == 405);
}
