// The MCP tool source's pure parts: CallToolResult -> ToolOutput, tool names,
// and the `mcp_servers` block's rules.
#include <doctest/doctest.h>

#include <atomic>

#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/mcp_server_settings.hpp"
#include "core/tools/mcp_server_source.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/one_shot_event.hpp"

using namespace weir;
using nlohmann::json;
using weir::testing::FakeUpstream;
using weir::testing::ScriptedResponse;

TEST_CASE("mcp tool output: text parts joined, resources as text, images as image_url parts, isError failed") {
  json result = {{"content",
                  {{{"type", "text"}, {"text", "one"}},
                   {{"type", "resource"}, {"resource", {{"uri", "file:///a.txt"}, {"text", "two"}}}},
                   {{"type", "resource"}, {"resource", {{"uri", "file:///b.bin"}, {"blob", "AAAA"}}}},
                   {{"type", "resource_link"}, {"uri", "file:///c.md"}, {"name", "c"}},
                   {{"type", "image"}, {"data", "iVBOR"}, {"mimeType", "image/png"}},
                   {{"type", "audio"}, {"data", "AAAA"}, {"mimeType", "audio/wav"}}}}};
  auto output = mcp_tool_output(result, "MCP server 'x'");
  CHECK(output.text ==
        "one\n\ntwo\n\n[binary resource file:///b.bin]\n\nresource: file:///c.md\n\n[audio omitted: weir passes only text "
        "and images to the model]");
  REQUIRE(output.images.size() == 1);
  CHECK(output.images[0] == json{{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBOR"}}}});
  CHECK_FALSE(output.failed);

  auto failed = mcp_tool_output({{"content", json::array()}, {"isError", true}}, "MCP server 'x'");
  CHECK(failed.failed);
  CHECK(failed.text == "MCP server 'x' reported a failure without a message");
}

TEST_CASE("mcp tool output: structuredContent as JSON text, once when the text already says it") {
  auto only = mcp_tool_output({{"content", json::array()}, {"structuredContent", {{"temperature", 21}}}}, "s");
  CHECK(json::parse(only.text) == json{{"temperature", 21}});
  auto repeated = mcp_tool_output(
      {{"content", {{{"type", "text"}, {"text", "{\"temperature\": 21}"}}}}, {"structuredContent", {{"temperature", 21}}}},
      "s");
  CHECK(repeated.text == "{\"temperature\": 21}");
  auto both = mcp_tool_output(
      {{"content", {{{"type", "text"}, {"text", "warm"}}}}, {"structuredContent", {{"temperature", 21}}}}, "s");
  CHECK(both.text == "warm\n\n{\"temperature\":21}");
}

TEST_CASE("mcp tool output: results of the wrong shape are upstream errors naming the server") {
  for (const json& bad : {json("text"), json{{"content", "text"}}, json{{"content", {{{"text", "no type"}}}}},
                          json{{"content", {{{"type", "text"}}}}},
                          json{{"content", {{{"type", "image"}, {"data", "x"}, {"mimeType", "text/html"}}}}}}) {
    CAPTURE(bad.dump());
    try {
      mcp_tool_output(bad, "MCP server 'x'");
      FAIL("accepted");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::upstream);
      CHECK(std::string(error.what()).find("MCP server 'x'") != std::string::npos);
    }
  }
}

TEST_CASE("mcp tool names: characters a function name cannot hold become _, at most 64") {
  CHECK(mcp_tool_function_name("get-sum") == "get-sum");
  CHECK(mcp_tool_function_name("files.read/all") == "files_read_all");
  CHECK(mcp_tool_function_name(std::string(80, 'a')).size() == 64);
}

TEST_CASE("mcp tool names: two tools of one server that read the same as function names both stay callable") {
  auto names = mcp_tool_function_names({"a.b", "a_b", "a/b", "c", std::string(70, 'x') + ".", std::string(70, 'x') + "/"});
  CHECK(names == std::vector<std::string>{"a_b", "a_b_2", "a_b_3", "c", std::string(64, 'x'), std::string(62, 'x') + "_2"});
}

TEST_CASE("mcp_servers block: records read with defaults; bad records refused naming the field") {
  json config = {{"provider", "p"},
                 {"model", "m"},
                 {"mcp_servers",
                  {{{"name", "files"}, {"command", "npx"}, {"args", {"-y", "server"}}, {"env", {"A=1"}}},
                   {{"name", "kb"}, {"url", "http://127.0.0.1:1/mcp"}, {"headers", {"X-Key: 1"}}, {"timeout_ms", 500}}}}};
  auto parsed = GatewayConfig::from_json(config);
  auto servers = mcp_server_settings(parsed.fields());
  REQUIRE(servers.size() == 2);
  CHECK(servers[0].command == "npx");
  CHECK(servers[0].args == std::vector<std::string>{"-y", "server"});
  CHECK(servers[0].environment == std::vector<std::string>{"A=1"});
  CHECK(servers[0].cache_seconds == 600);
  CHECK(servers[0].timeout_ms == 60'000);
  CHECK(servers[1].url == "http://127.0.0.1:1/mcp");
  CHECK(servers[1].timeout_ms == 500);
  CHECK(servers[0].key() != servers[1].key());

  auto refused = [&](json servers_block, const std::string& path) {
    json bad = config;
    bad["mcp_servers"] = std::move(servers_block);
    try {
      GatewayConfig::from_json(bad);
      FAIL_CHECK("accepted ", bad.dump());
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::usage);
      CHECK_MESSAGE(std::string(error.what()).find("'" + path + "'") != std::string::npos, error.what());
    }
  };
  refused(json::array({{{"name", "x"}}}), "mcp_servers[0]");  // neither command nor url
  refused(json::array({{{"name", "x"}, {"command", "a"}, {"url", "http://h"}}}), "mcp_servers[0]");
  refused(json::array({{{"command", "a"}}}), "mcp_servers[0]");  // no name
  refused(json::array({{{"name", "bad name"}, {"command", "a"}}}), "mcp_servers[0].name");
  refused(json::array({{{"name", "x"}, {"command", "a"}}, {{"name", "x"}, {"command", "b"}}}), "mcp_servers");
  refused(json::array({{{"name", "x"}, {"url", "ftp://h"}}}), "mcp_servers[0].url");
  refused(json::array({{{"name", "x"}, {"command", "a"}, {"env", {"NOVALUE"}}}}), "mcp_servers[0].env");
  refused(json::array({{{"name", "x"}, {"url", "http://h"}, {"headers", {"no colon"}}}}), "mcp_servers[0].headers");
  refused(json::array({{{"name", "x"}, {"command", "a"}, {"timeout_ms", 1}}}), "mcp_servers[0].timeout_ms");
  refused(json::array({{{"name", "x"}, {"command", "a"}, {"alow", {"echo"}}}}), "mcp_servers[0]");
}

TEST_CASE("mcp server connection: the tool list is cached until the server says it changed") {
  McpServerSettings settings;
  settings.name = "fake";
  settings.command = "python3";
  settings.args = {std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py"};
  McpServerConnection connection(settings, "");
  CancelToken cancel;
  auto count = [&] {
    return connection.call("list_count", json::object(), nullptr, cancel)["content"][0]["text"].get<std::string>();
  };
  CHECK(connection.tools(cancel).size() == 13);
  connection.tools(cancel);
  CHECK(count() == "2");  // two pages once: the second listing came from the cache
  connection.call("change", json::object(), nullptr, cancel);  // notifications/tools/list_changed
  connection.tools(cancel);
  CHECK(count() == "4");
  CHECK(connection.starts() == 1);

  McpServerSource source(std::shared_ptr<McpServerConnection>(&connection, [](McpServerConnection*) {}), "", "",
                         cancel);
  auto usage = [&] { source.run(ToolCall{"1", "echo", "[1, 2]"}, cancel); };
  CHECK_THROWS_AS(usage(), Error);
}

TEST_CASE("mcp server connection: watchers hear of tools/list_changed on the connection's thread, where they may list again") {
  McpServerSettings settings;
  settings.name = "fake";
  settings.command = "python3";
  settings.args = {std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py"};
  // Declared before the connection: its notifier thread may still be setting them as it is destroyed.
  testing::OneShotEvent told;
  json relisted;
  McpServerConnection connection(settings, "");
  CancelToken cancel;
  CHECK(connection.tools(cancel).size() == 13);
  // Listing from the client's reader thread would wait for an answer only that thread can deliver.
  auto watch = connection.watch_tools([&] {
    relisted = connection.tools(cancel);
    told.set();
  });
  connection.call("change", {{"text", "fresh"}}, nullptr, cancel);
  REQUIRE(told.wait());
  REQUIRE(relisted.size() == 14);
  CHECK(relisted.back()["name"] == "fresh");
  CHECK(connection.starts() == 1);
}

TEST_CASE("mcp server connection: a server that lets two calls in a row time out is started again by the next") {
  McpServerSettings settings;
  settings.name = "fake";
  settings.command = "python3";
  settings.args = {std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py"};
  settings.timeout_ms = 200;
  McpServerConnection connection(settings, "");
  CancelToken cancel;
  auto hang = [&] {
    try {
      connection.call("hang", json::object(), nullptr, cancel);
      FAIL("the hanging call answered");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::upstream_timeout);
      return std::string(error.what());
    }
    return std::string();
  };
  CHECK(hang().find("started again") == std::string::npos);
  CHECK(connection.starts() == 1);
  CHECK(hang().find("will be started again on the next call") != std::string::npos);
  auto echoed = connection.call("echo", {{"text", "back"}}, nullptr, cancel);
  CHECK(connection.starts() == 2);
  CHECK(echoed["content"][0]["text"].get<std::string>().find("back") != std::string::npos);
}

TEST_CASE("mcp server source: allow keeps only its tools, deny drops its tools") {
  McpServerSettings settings;
  settings.name = "fake";
  settings.command = "python3";
  settings.args = {std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py"};
  settings.allow = {"echo", "fail", "image"};
  settings.deny = {"image"};
  auto connection = std::make_shared<McpServerConnection>(settings, "");
  CancelToken cancel;
  McpServerSource source(connection, "", "", cancel);
  std::vector<std::string> names;
  for (const auto& definition : source.definitions()) names.push_back(definition["function"]["name"].get<std::string>());
  CHECK(names == std::vector<std::string>{"echo", "fail"});
  CHECK(settings.offers("echo"));
  CHECK_FALSE(settings.offers("image"));
  CHECK_FALSE(settings.offers("meta"));
}

TEST_CASE("mcp server connection: a call an HTTP server refuses for an ended session is sent once more on a new one") {
  // A streamable-HTTP MCP server that ends the first session when it sees a
  // tools/call in it (HTTP 404), as one restarted or idle-expired would.
  FakeUpstream server;
  server.answer_posts_matching("/mcp");
  std::atomic<int> sessions{0}, calls_run{0};
  server.set_responder([&](const weir::testing::RecordedRequest& request, size_t) {
    const auto& message = request.json_body;
    auto method = message.value("method", "");
    if (method == "initialize") {
      auto session = "s" + std::to_string(++sessions);
      return ScriptedResponse::json_body(
          200,
          {{"jsonrpc", "2.0"}, {"id", message["id"]},
           {"result", {{"protocolVersion", "2025-06-18"}, {"capabilities", json::object()},
                       {"serverInfo", {{"name", "http-fake"}, {"version", "1"}}}}}},
          {{"Mcp-Session-Id", session}});
    }
    if (!message.contains("id")) return ScriptedResponse::raw(202, "application/json", "");
    if (method == "tools/call" && request.header("Mcp-Session-Id") == "s1")
      return ScriptedResponse::raw(404, "application/json", "{}");
    if (method == "tools/call") ++calls_run;
    return ScriptedResponse::json_body(
        200, {{"jsonrpc", "2.0"}, {"id", message["id"]},
              {"result", {{"content", {{{"type", "text"}, {"text", "ran in " + request.header("Mcp-Session-Id")}}}}}}});
  });
  McpServerSettings settings;
  settings.name = "remote";
  settings.url = server.root_url() + "/mcp";
  McpServerConnection connection(settings, "");
  CancelToken cancel;
  auto result = connection.call("echo", json::object(), nullptr, cancel);
  CHECK(result["content"][0]["text"] == "ran in s2");
  CHECK(sessions == 2);
  CHECK(calls_run == 1);
}
