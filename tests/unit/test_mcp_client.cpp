// McpClient over StdioClientTransport against tests/support/fake_mcp_server.py:
// handshake, pagination, progress, cancellation, timeout, a crashing server,
// list_changed, the server's stderr kept out of our output.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcp/protocol/mcp_client.hpp"
#include "mcp/protocol/stdio_client_transport.hpp"

using namespace weir::mcp::protocol;
using nlohmann::json;

namespace {

struct LogLines {
  std::mutex mutex;
  std::vector<std::string> lines;
};

std::unique_ptr<McpClient> fake_client(LogLines& log, std::vector<std::string> environment = {}) {
  StdioServerCommand command{"python3", {std::string(WEIR_SOURCE_DIR) + "/tests/support/fake_mcp_server.py"},
                             std::move(environment), {}};
  auto transport = std::make_unique<StdioClientTransport>(command, [&log](const std::string& line) {
    std::lock_guard lock(log.mutex);
    log.lines.push_back(line);
  });
  auto client = std::make_unique<McpClient>(std::move(transport));
  client->connect(std::chrono::seconds(30));
  return client;
}

CallOptions quick(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  CallOptions options;
  options.timeout = timeout;
  return options;
}

std::string first_text(const json& result) { return result.at("content").at(0).at("text").get<std::string>(); }

}  // namespace

TEST_CASE("mcp client: initialize agrees on 2025-06-18 and tools/list follows nextCursor to the last page") {
  LogLines log;
  auto client = fake_client(log);
  CHECK(client->protocol_version() == "2025-06-18");
  CHECK(client->server_info()["name"] == "fake-mcp");
  auto tools = client->list_tools(std::chrono::seconds(30));
  REQUIRE(tools.size() == 13);
  CHECK(tools[0]["name"] == "echo");
  CHECK(tools[4]["name"] == "image");  // the first tool of the second page
  CHECK(tools[10]["name"] == "stderr");
}

TEST_CASE("mcp client: tools/call returns the result; _meta reaches the server") {
  LogLines log;
  auto client = fake_client(log);
  CHECK(first_text(client->call_tool("echo", {{"text", "hi"}}, nullptr, quick())) == "echo: hi");
  auto meta = client->call_tool("meta", json::object(), {{"weir/user", "ann"}}, quick());
  CHECK(json::parse(first_text(meta)) == json{{"weir/user", "ann"}});
}

TEST_CASE("mcp client: a JSON-RPC error answer is a remote ClientError with its code") {
  LogLines log;
  auto client = fake_client(log);
  try {
    client->call_tool("missing", json::object(), nullptr, quick());
    FAIL("expected an error");
  } catch (const ClientError& error) {
    CHECK(error.kind() == ClientError::Kind::remote);
    CHECK(error.code() == -32602);
    CHECK(std::string(error.what()).find("unknown tool") != std::string::npos);
  }
}

TEST_CASE("mcp client: progress notifications reach the call's callback in order, on the calling thread") {
  LogLines log;
  auto client = fake_client(log);
  std::vector<double> progress;
  bool on_caller_thread = true;
  const auto caller = std::this_thread::get_id();
  auto options = quick();
  options.on_progress = [&](const json& params) {
    progress.push_back(params["progress"].get<double>());
    on_caller_thread = on_caller_thread && std::this_thread::get_id() == caller;
  };
  auto result = client->call_tool("progress", {{"steps", 3}}, nullptr, options);
  CHECK(first_text(result) == "done");
  CHECK(progress == std::vector<double>{1, 2, 3});
  CHECK(on_caller_thread);  // the caller's stream is written by one thread
}

TEST_CASE("mcp client: cancelling a call sends notifications/cancelled for its id and stops waiting") {
  LogLines log;
  auto client = fake_client(log);
  std::atomic<bool> stop{false};
  auto options = quick();
  // The server reports progress once it holds the call; cancel then.
  options.on_progress = [&](const json&) { stop = true; };
  options.cancelled = [&] { return stop.load(); };
  try {
    client->call_tool("hang", json::object(), nullptr, options);
    FAIL("expected cancellation");
  } catch (const ClientError& error) {
    CHECK(error.kind() == ClientError::Kind::cancelled);
  }
  // The server reads its stdin in order: the cancellation came before this call.
  auto seen = json::parse(first_text(client->call_tool("cancelled_seen", json::object(), nullptr, quick())));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].is_number_integer());
}

TEST_CASE("mcp client: a call past its timeout is a timeout error, cancelled at the server, and the client goes on") {
  LogLines log;
  auto client = fake_client(log);
  try {
    client->call_tool("hang", json::object(), nullptr, quick(std::chrono::milliseconds(200)));
    FAIL("expected a timeout");
  } catch (const ClientError& error) {
    CHECK(error.kind() == ClientError::Kind::timeout);
    CHECK(std::string(error.what()).find("within 200 ms") != std::string::npos);
  }
  auto seen = json::parse(first_text(client->call_tool("cancelled_seen", json::object(), nullptr, quick())));
  CHECK(seen.size() == 1);
}

TEST_CASE("mcp client: a server that exits mid-call fails the call as closed, and later calls too") {
  LogLines log;
  auto client = fake_client(log);
  try {
    client->call_tool("crash", json::object(), nullptr, quick());
    FAIL("expected the call to fail");
  } catch (const ClientError& error) {
    CHECK(error.kind() == ClientError::Kind::closed);
    CHECK(std::string(error.what()).find("exited or crashed") != std::string::npos);
  }
  CHECK(client->closed());
  CHECK_THROWS_AS(client->call_tool("echo", json::object(), nullptr, quick()), ClientError);
}

TEST_CASE("mcp client: each notifications/tools/list_changed counts one change, whatever is listed since") {
  LogLines log;
  auto client = fake_client(log);
  client->list_tools(std::chrono::seconds(30));
  CHECK(client->tool_list_changes() == 0);
  client->call_tool("change", json::object(), nullptr, quick());
  // The notification precedes the answer on the server's stdout.
  CHECK(client->tool_list_changes() == 1);
  client->list_tools(std::chrono::seconds(30));
  CHECK(client->tool_list_changes() == 1);  // a listing does not undo the count: the pool compares
}

TEST_CASE("mcp client: closing a server that ignores SIGTERM kills it instead of waiting forever") {
  LogLines log;
  // `trap '' TERM` makes SIGTERM ignored, and exec keeps it ignored.
  StdioServerCommand command{"sh",
                             {"-c", "trap '' TERM; exec python3 " + std::string(WEIR_SOURCE_DIR) +
                                        "/tests/support/fake_mcp_server.py"},
                             {},
                             {}};
  auto transport = std::make_unique<StdioClientTransport>(command, [](const std::string&) {});
  auto client = std::make_unique<McpClient>(std::move(transport));
  client->connect(std::chrono::seconds(30));
  CHECK(first_text(client->call_tool("echo", {{"text", "hi"}}, nullptr, quick())) == "echo: hi");
  client.reset();  // returns: the server is killed after its grace period, not waited for forever
}

TEST_CASE("mcp client: concurrent calls on one client each get their own answer") {
  LogLines log;
  auto client = fake_client(log);
  std::vector<std::thread> threads;
  std::vector<std::string> answers(8);
  for (size_t index = 0; index < answers.size(); ++index)
    threads.emplace_back([&, index] {
      answers[index] = first_text(client->call_tool("echo", {{"text", std::to_string(index)}}, nullptr, quick()));
    });
  for (auto& thread : threads) thread.join();
  for (size_t index = 0; index < answers.size(); ++index) CHECK(answers[index] == "echo: " + std::to_string(index));
}

TEST_CASE("mcp client: the server's stderr goes to the log sink; a command that does not exist is a clear error") {
  LogLines log;
  {
    auto client = fake_client(log);
    CHECK(first_text(client->call_tool("stderr", json::object(), nullptr, quick())) == "written");
  }  // closing joins the stderr reader, so every line is in
  CHECK(std::find(log.lines.begin(), log.lines.end(), "a line for the log") != log.lines.end());

  StdioServerCommand missing{"weir-no-such-mcp-server", {}, {}, {}};
  McpClient client(std::make_unique<StdioClientTransport>(missing, nullptr));
  try {
    client.connect(std::chrono::seconds(5));
    FAIL("expected an error");
  } catch (const std::exception& error) {
    CHECK(std::string(error.what()).find("weir-no-such-mcp-server") != std::string::npos);
  }
}
