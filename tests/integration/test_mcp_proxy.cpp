// `weir mcp serve --mcp-server ...`: other MCP servers' tools behind one weir,
// driven as an MCP client drives it. The servers are the scripted
// tests/support/fake_mcp_server.py, the reference server-everything over
// stdio, and a `weir serve` reached over streamable HTTP: one merged list
// (a server prefix on clashes only), calls forwarded with their results as
// the server made them, arguments checked before they leave weir, progress
// and cancellation passed through, a server's changed tool list passed on to
// the client, and a server killed while the others go on.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/mcp_session.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using json = nlohmann::json;

namespace {

const std::string kFakeServer = std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py";
const std::string kEverything =
    std::string(WEIR_SOURCE_DIR) + "/tests/peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js";

bool everything_available() {
  if (std::filesystem::exists(kEverything)) return true;
  const char* required = std::getenv("WEIR_REQUIRE_PEERS");
  REQUIRE_MESSAGE(!(required && std::string(required) == "1"),
                  "WEIR_REQUIRE_PEERS=1 but tests/peers is not installed (npm ci in tests/peers)");
  return false;
}

std::set<std::string> tool_names(McpSession& session, int id) {
  auto listed = session.request("tools/list", nullptr, id);
  std::set<std::string> names;
  for (const auto& tool : listed["result"]["tools"]) names.insert(tool["name"].get<std::string>());
  return names;
}

json call(McpSession& session, const std::string& tool, const json& arguments, int id, const json& meta = nullptr) {
  json params = {{"name", tool}, {"arguments", arguments}};
  if (!meta.is_null()) params["_meta"] = meta;
  auto answer = session.request("tools/call", params, id);
  REQUIRE_MESSAGE(answer.contains("result"), answer.dump());
  return answer["result"];
}

std::string first_text(const json& result) { return result["content"][0]["text"].get<std::string>(); }

}  // namespace

TEST_CASE("mcp proxy: two servers behind one weir: merged list, prefixes on clashes, results as the server made them") {
  if (!everything_available()) return;
  WeirHome home;
  McpSession session(home, {"--mcp-server", "fake=python3 " + kFakeServer, "--mcp-server", "everything=node " + kEverything});
  session.initialize();
  auto names = tool_names(session, 1);
  // Both servers have an `echo`: each gets its server's name; the other tools keep theirs.
  CHECK(names.count("fake_echo") == 1);
  CHECK(names.count("everything_echo") == 1);
  CHECK(names.count("echo") == 0);
  CHECK(names.count("get-sum") == 1);
  CHECK(names.count("structured") == 1);
  CHECK(names.count("trigger-long-running-operation") == 1);

  CHECK(first_text(call(session, "fake_echo", {{"text", "hi"}}, 2)) == "echo: hi");
  CHECK(first_text(call(session, "everything_echo", {{"message", "hello"}}, 3)) == "Echo: hello");
  CHECK(first_text(call(session, "get-sum", {{"a", 2}, {"b", 3}}, 4)).find('5') != std::string::npos);
  // structuredContent, images and isError come back as the server made them.
  CHECK(call(session, "structured", json::object(), 5)["structuredContent"] == json{{"sum", 5}});
  auto image = call(session, "image", json::object(), 6);
  REQUIRE(image["content"].size() == 2);
  CHECK(image["content"][1]["type"] == "image");
  CHECK(image["content"][1]["mimeType"] == "image/png");
  auto failed = call(session, "fail", json::object(), 7);
  CHECK(failed["isError"] == true);
  CHECK(first_text(failed) == "the disk is full");

  // Arguments the tool's schema refuses never reach the server.
  auto before = std::stoi(first_text(call(session, "call_count", json::object(), 8)));
  auto invalid = call(session, "fake_echo", {{"text", 5}}, 9);
  CHECK(invalid["isError"] == true);
  CHECK(first_text(invalid).find("nothing was sent to MCP server 'fake'") != std::string::npos);
  auto sum = call(session, "get-sum", {{"a", 1}}, 10);
  CHECK(sum["isError"] == true);
  CHECK(first_text(sum).find("'b'") != std::string::npos);
  CHECK(std::stoi(first_text(call(session, "call_count", json::object(), 11))) == before + 1);  // only call_count itself
  CHECK(session.invalid_lines().empty());
}

TEST_CASE("mcp proxy: allow, deny and prefix choose and name a server's tools; a bad record is refused") {
  WeirHome home;
  auto config_path = home.path() + "/serve.json";
  std::ofstream(config_path) << json{{"mcp_servers",
                                      {{{"name", "fake"},
                                        {"command", "python3"},
                                        {"args", {kFakeServer}},
                                        {"allow", {"echo", "fail", "hang"}},
                                        {"deny", {"hang"}},
                                        {"prefix", "files."}}}}}
                                        .dump();
  McpSession session(home, {"--config", config_path});
  session.initialize();
  CHECK(tool_names(session, 1) == std::set<std::string>{"files.echo", "files.fail"});
  CHECK(first_text(call(session, "files.echo", {{"text", "x"}}, 2)) == "echo: x");

  std::ofstream(config_path) << json{{"mcp_servers", {{{"name", "both"}, {"command", "x"}, {"url", "http://127.0.0.1:1"}}}}}.dump();
  auto refused = home.run({"mcp", "serve", "--config", config_path});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("needs either a command") != std::string::npos);
  auto malformed = home.run({"mcp", "serve", "--mcp-server", "nameonly"});
  CHECK(malformed.exit_code == 2);
  CHECK(malformed.err.find("--mcp-server takes NAME=URL") != std::string::npos);
}

TEST_CASE("mcp proxy: a server's progress reaches the caller in order; the caller's cancellation reaches the server") {
  WeirHome home;
  McpSession session(home, {"--mcp-server", "fake=python3 " + kFakeServer});
  session.initialize();
  auto done = call(session, "progress", {{"steps", 3}}, 1, {{"progressToken", "p1"}});
  CHECK(first_text(done) == "done");
  std::vector<double> reports;
  for (const auto& message : session.messages())
    if (message.value("method", "") == "notifications/progress" && message["params"]["progressToken"] == "p1")
      reports.push_back(message["params"]["progress"].get<double>());
  CHECK(reports == std::vector<double>{1, 2, 3});

  // `hang` reports once and never answers; the caller gives up on it.
  session.send({{"jsonrpc", "2.0"},
                {"id", 2},
                {"method", "tools/call"},
                {"params", {{"name", "hang"}, {"arguments", json::object()}, {"_meta", {{"progressToken", "p2"}}}}}});
  REQUIRE(session.wait_for([](const json& message) {
    return message.value("method", "") == "notifications/progress" && message["params"]["progressToken"] == "p2";
  }));
  session.send({{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 2}}}});
  // The server was told: the cancelled call's id there is in its list.
  json seen = json::array();
  for (int attempt = 0; attempt < 200 && seen.empty(); ++attempt)
    seen = json::parse(first_text(call(session, "cancelled_seen", json::object(), 100 + attempt)));
  CHECK(seen.size() == 1);
  CHECK_FALSE(session.response(2, std::chrono::milliseconds(0)));  // a cancelled call is not answered
}

TEST_CASE("mcp proxy: a server's tools/list_changed reaches the client; the new list is served, its new tool called") {
  WeirHome home;
  McpSession session(home, {"--mcp-server", "fake=python3 " + kFakeServer});
  auto initialized = session.initialize();
  CHECK(initialized["capabilities"]["tools"]["listChanged"] == true);
  CHECK(tool_names(session, 1).count("fresh") == 0);
  // The wanted-th list_changed since the session began (wait_for looks at each message once, oldest first).
  auto nth_change = [](int wanted) {
    return [wanted, seen = 0](const json& message) mutable {
      return message.value("method", "") == "notifications/tools/list_changed" && ++seen == wanted;
    };
  };

  // `change` adds the tool and tells weir, which lists the server again and tells its client.
  CHECK(first_text(call(session, "change", {{"text", "fresh"}}, 2)) == "changed");
  REQUIRE(session.wait_for(nth_change(1)));
  auto names = tool_names(session, 3);
  CHECK(names.count("fresh") == 1);
  CHECK(names.count("echo") == 1);
  CHECK(first_text(call(session, "fresh", json::object(), 4)) == "fresh: called");

  // Removed again: the tool is unknown, the others still work.
  CHECK(first_text(call(session, "change", {{"text", "fresh"}}, 5)) == "changed");
  REQUIRE(session.wait_for(nth_change(2)));
  CHECK(tool_names(session, 6).count("fresh") == 0);
  auto unknown = session.request("tools/call", {{"name", "fresh"}, {"arguments", json::object()}}, 7);
  CHECK(unknown["error"]["code"] == -32602);
  CHECK(first_text(call(session, "echo", {{"text", "still"}}, 8)) == "echo: still");
  CHECK(session.invalid_lines().empty());
}

TEST_CASE("mcp proxy: without proxied servers the tool list never changes, and initialize says so") {
  WeirHome home;
  REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);
  McpSession session(home, {"--collections", "kb"});
  CHECK(session.initialize()["capabilities"]["tools"]["listChanged"] == false);
}

TEST_CASE("mcp proxy: a streamable-HTTP server killed mid-session is an isError result; the other server goes on") {
  WeirHome home;
  REQUIRE(home.run({"collection", "create", "kb"}).exit_code == 0);
  auto imported = home.run({"collection", "import", "kb", "-"},
                           json({{"docid", "volcano"}, {"text", "A volcano erupts when magma rises."}}).dump() + "\n");
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  auto remote = std::make_unique<ServeProcess>(home);
  auto config_path = home.path() + "/serve.json";
  std::ofstream(config_path) << json{{"mcp_servers",
                                      {{{"name", "kb"},
                                        {"url", remote->base_url() + "/v1/mcp/collections"},
                                        {"headers", {"X-Mcp-Collection-Name: kb"}},
                                        {"timeout_ms", 20000}},
                                       {{"name", "fake"}, {"command", "python3"}, {"args", {kFakeServer}}}}}}
                                        .dump();
  McpSession session(home, {"--config", config_path});
  session.initialize();
  auto names = tool_names(session, 1);
  REQUIRE(names.count("kb_search") == 1);
  auto found = call(session, "kb_search", {{"search_terms", {"volcano magma"}}}, 2);
  CHECK(found["isError"] == false);
  CHECK(found.dump().find("magma rises") != std::string::npos);

  remote->send_signal(SIGKILL);
  remote->wait();
  auto down = call(session, "kb_search", {{"search_terms", {"volcano"}}}, 3);
  CHECK(down["isError"] == true);
  CHECK(first_text(down).find("MCP server 'kb'") != std::string::npos);
  CHECK(first_text(call(session, "echo", {{"text", "still here"}}, 4)) == "echo: still here");
}

TEST_CASE("mcp proxy: a server that cannot start is left out with a warning; the others are served") {
  WeirHome home;
  McpSession session(home, {"--mcp-server", "broken=/nonexistent/server", "--mcp-server", "fake=python3 " + kFakeServer});
  session.initialize();
  auto names = tool_names(session, 1);
  CHECK(names.count("echo") == 1);
  CHECK(session.wait_for_stderr("MCP server 'broken' is down"));
}

TEST_CASE("mcp proxy: every tool call is a row of the tool call log, and usage by tool is the sum of those rows") {
  WeirHome home;
  {
    McpSession session(home, {"--mcp-server", "fake=python3 " + kFakeServer});
    session.initialize();
    call(session, "echo", {{"text", "one"}}, 1);
    call(session, "echo", {{"text", "two"}}, 2);
    call(session, "echo", {{"text", 3}}, 3);  // refused by its schema: an error row
    call(session, "fail", json::object(), 4);
    session.close_input();
    REQUIRE(session.wait_exit() == 0);  // every row is written before weir exits
  }
  auto listed = home.run({"--json", "logs", "tools"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  auto rows = json::parse(listed.out);
  REQUIRE(rows.size() == 4);
  // Rows are written after each answer, so two calls ending in one
  // millisecond may be listed either way round: find them by what they hold.
  auto row_of = [&rows](const std::string& tool, const std::string& status) {
    for (const auto& row : rows)
      if (row["tool"] == tool && row["status"] == status) return row;
    FAIL("no row for " << tool << " " << status << " in " << rows.dump());
    return json();
  };
  auto failed = row_of("fail", "error");
  CHECK(failed["error"] == "the disk is full");
  CHECK(failed["source"] == "MCP server 'fake'");
  CHECK(failed["caller"].is_null());  // the local user
  auto refused = row_of("echo", "error");
  CHECK(refused["error"].get<std::string>().find("nothing was sent") != std::string::npos);
  size_t ok = 0;
  for (const auto& row : rows) {
    if (row["status"] != "ok") continue;
    ++ok;
    CHECK(row["arguments_bytes"] == json{{"text", "one"}}.dump().size());  // "two" is as long
    CHECK(row["result_bytes"].get<int>() > 0);
  }
  CHECK(ok == 2);

  auto usage = home.run({"--json", "usage", "--by", "tool"});
  REQUIRE_MESSAGE(usage.exit_code == 0, usage.err);
  auto groups = json::parse(usage.out)["groups"];
  REQUIRE(groups.size() == 2);
  CHECK(groups[0]["tool"] == "echo");
  CHECK(groups[0]["calls"] == 3);
  CHECK(groups[0]["errors"] == 1);
  CHECK(groups[1]["tool"] == "fail");
  CHECK(groups[1]["calls"] == 1);
  int64_t calls = 0, bytes = 0;
  for (const auto& group : groups) calls += group["calls"].get<int64_t>(), bytes += group["arguments_bytes"].get<int64_t>();
  int64_t row_bytes = 0;
  for (const auto& row : rows) row_bytes += row["arguments_bytes"].get<int64_t>();
  CHECK(calls == static_cast<int64_t>(rows.size()));
  CHECK(bytes == row_bytes);
  auto table = home.run({"usage", "--by", "tool"});
  CHECK(table.out.find("MCP server 'fake'") != std::string::npos);
  auto only_fail = home.run({"logs", "tools", "--tool", "fail"}).out;
  CHECK(only_fail.find("error") != std::string::npos);
  CHECK(only_fail.find("echo") == std::string::npos);
}
