// Secrets planted in every provider setting a user can write one into (the
// base URL's userinfo and query, --header values), then looked for in every
// output that could carry them: provider add/show/list (text and --json),
// chat --dry-run, a failed chat's stderr and --json, the request log, weir
// serve's 502 and 504 bodies for a private and a public key, an MCP tool
// error; and the store's files are the user's only.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// Each secret is distinct, so a failure says which setting leaked.
const std::vector<std::string> kSecrets = {"sk-URLPASS-7f3a", "QUERYKEY-91c2", "HDRBEARER-5d08", "HDRAPIKEY-e4b6",
                                           "URLTOKEN-22aa"};

// A port that refuses connections while this lives: bound, never listening.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

void expect_no_secret(const std::string& where, const std::string& text) {
  for (const auto& secret : kSecrets) {
    INFO(where << " shows " << secret << ":\n" << text);
    CHECK(text.find(secret) == std::string::npos);
  }
}

void expect_no_secret(const std::string& where, const ProcessResult& result) {
  expect_no_secret(where + " (stdout)", result.out);
  expect_no_secret(where + " (stderr)", result.err);
}

// Two providers with every credential a user can write into their settings:
// `down` points at a closed port (a 502), `slow` at an upstream that goes
// silent (a 504 after its 300 ms idle timeout). A gateway on each.
struct SecretsFixture {
  ClosedPort closed;
  FakeUpstream upstream;
  WeirHome home;
  std::vector<ProcessResult> setup_outputs;

  SecretsFixture() {
    std::vector<std::string> headers = {"--header", "Authorization: Bearer " + kSecrets[2], "--header",
                                        "X-Api-Key: " + kSecrets[3], "--max-retries", "0"};
    add_provider("down", "http://svc:" + kSecrets[0] + "@127.0.0.1:" + std::to_string(closed.port()) +
                             "/v1?api-version=1&api-key=" + kSecrets[1],
                 headers);
    add_provider("slow", "http://" + kSecrets[4] + "@127.0.0.1:" + std::to_string(upstream.port()) + "/v1", headers);
    run_ok({"provider", "add", "slow", "--idle-timeout", "300"});
    run_ok({"gateway", "create", "g-down", "--provider", "down", "--model", "m"});
    run_ok({"gateway", "create", "g-slow", "--provider", "slow", "--model", "m"});
  }

  void add_provider(const std::string& name, const std::string& base_url, std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"provider", "add", name, "--base-url", base_url};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    setup_outputs.push_back(run_ok(arguments));
    arguments.push_back("--json");
    setup_outputs.push_back(run_ok(arguments));
  }

  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }

  std::string create_key(const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"key", "create"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    arguments.push_back("--json");
    return json::parse(run_ok(arguments).out)["key"].get<std::string>();
  }
};

}  // namespace

TEST_CASE("secrets: provider add, show and list never print a credential from the base URL or a header") {
  SecretsFixture fixture;
  for (const auto& output : fixture.setup_outputs) expect_no_secret("provider add", output);
  // The notice says a credential is stored, and how to keep it out.
  CHECK(fixture.setup_outputs[0].err.find("header X-Api-Key of provider down holds a credential") !=
        std::string::npos);
  CHECK(fixture.setup_outputs[0].err.find("${VARIABLE}") != std::string::npos);

  for (const auto& command : std::vector<std::vector<std::string>>{{"provider", "show", "down"},
                                                                   {"provider", "show", "down", "--json"},
                                                                   {"provider", "show", "slow"},
                                                                   {"provider", "list"},
                                                                   {"provider", "list", "--json"},
                                                                   {"gateway", "show", "g-down", "--json"},
                                                                   {"gateway", "export", "g-down"}})
    expect_no_secret(command[0] + " " + command[1] + " " + command.back(), fixture.run_ok(command));

  // What is shown still says what is configured, with the secrets masked.
  auto shown = json::parse(fixture.run_ok({"provider", "show", "down", "--json"}).out);
  CHECK(shown["base_url"] == "http://svc:****@127.0.0.1:" + std::to_string(fixture.closed.port()) +
                                 "/v1?api-version=1&api-key=****");
  CHECK(shown["headers"]["Authorization"] == "Bearer ****");
  CHECK(shown["headers"]["X-Api-Key"] == "****");
}

TEST_CASE("secrets: chat --dry-run shows the request with its credentials masked") {
  SecretsFixture fixture;
  for (const auto& gateway : {"g-down", "g-slow"}) {
    auto dry = fixture.run_ok({"chat", gateway, "hi", "--dry-run"});
    expect_no_secret(std::string("chat --dry-run ") + gateway, dry);
    auto request = json::parse(dry.out);
    CHECK(request["headers"]["X-Api-Key"] == "****");
    CHECK(request["headers"]["Authorization"] == "Bearer ****");
  }
}

TEST_CASE("secrets: a failed call's message, in chat's output and the request log, holds no credential") {
  SecretsFixture fixture;
  fixture.upstream.set_default(ScriptedResponse::stalled({}, 60s));
  for (const auto& gateway : {"g-down", "g-slow"}) {
    for (bool as_json : {false, true}) {
      std::vector<std::string> arguments = {"chat", gateway, "hi"};
      if (as_json) arguments.push_back("--json");
      auto failed = fixture.home.run(arguments);
      CHECK(failed.exit_code == 4);
      CHECK(failed.err.find("127.0.0.1") != std::string::npos);  // still says where it failed
      expect_no_secret(std::string("a failed chat with ") + gateway, failed);
    }
  }
  auto models = fixture.home.run({"provider", "models", "down"});
  CHECK(models.exit_code == 4);
  expect_no_secret("provider models", models);

  auto rows = json::parse(fixture.run_ok({"logs", "--json"}).out);
  CHECK(rows.size() >= 4);
  expect_no_secret("logs --json", rows.dump());
  expect_no_secret("logs", fixture.run_ok({"logs"}));
  expect_no_secret("logs show", fixture.run_ok({"logs", "show", rows[0]["id"].get<std::string>()}));
}

TEST_CASE("secrets: weir serve's 502 and 504 bodies hold no credential, for a private and a public key") {
  SecretsFixture fixture;
  fixture.upstream.set_default(ScriptedResponse::stalled({}, 60s));
  auto private_key = fixture.create_key({"app"});
  auto public_key = fixture.create_key({"web", "--public"});
  auto full_id = [&](const std::string& gateway) {
    return json::parse(fixture.run_ok({"gateway", "show", gateway, "--json"}).out)["id"].get<std::string>();
  };
  ServeProcess serve(fixture.home);
  for (const auto& [gateway, status] : std::vector<std::pair<std::string, int>>{{"g-down", 502}, {"g-slow", 504}}) {
    for (const auto& key : {private_key, public_key}) {
      for (bool stream : {false, true}) {
        json body = {{"model", full_id(gateway)}, {"stream", stream}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
        auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", body.dump(),
                                  {{"Authorization", "Bearer " + key}});
        INFO(reply.raw);
        if (!stream) CHECK(reply.status == status);
        expect_no_secret("serve's answer for " + gateway, reply.raw);
      }
    }
  }
  json rows;
  wait_for_store(fixture.home.path(), [&] {
    rows = json::parse(fixture.run_ok({"logs", "--json"}).out);
    return rows.size() >= 8;
  });
  expect_no_secret("logs after serve", rows.dump());
  expect_no_secret("serve's stderr", serve.stderr_text());
}

TEST_CASE("secrets: an MCP tool error holds no credential") {
  SecretsFixture fixture;
  McpSession session(fixture.home, {"--gateway", "g-down"});
  session.initialize();
  auto answer = session.request("tools/call", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "hi"}}}}, 2);
  CHECK(answer["result"]["isError"] == true);
  expect_no_secret("the MCP tool error", answer.dump());
  session.close_input();
  session.wait_exit();
  expect_no_secret("mcp serve's stderr", session.standard_error());
}

TEST_CASE("secrets: a header's ${VAR} is sent resolved, shown as written, and an unset one sends nothing") {
  FakeUpstream upstream;
  WeirHome home;
  auto added = home.run({"provider", "add", "ref", "--base-url", upstream.base_url(), "--header",
                         "X-Api-Key: ${WEIR_TEST_HEADER_KEY}"});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  CHECK(added.err.find("holds a credential") == std::string::npos);  // a reference is no credential
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "ref", "--model", "m"}).exit_code == 0);

  auto unset = home.run({"chat", "g", "hi"});
  CHECK(unset.exit_code == 5);
  CHECK(unset.err.find("WEIR_TEST_HEADER_KEY") != std::string::npos);
  CHECK(upstream.request_count() == 0);

  home.environment["WEIR_TEST_HEADER_KEY"] = kSecrets[3];
  upstream.enqueue(ScriptedResponse::text_answer("ok", true));
  auto sent = home.run({"chat", "g", "hi"});
  REQUIRE_MESSAGE(sent.exit_code == 0, sent.err);
  CHECK(upstream.requests().back().header("X-Api-Key") == kSecrets[3]);

  auto shown = json::parse(home.run({"provider", "show", "ref", "--json"}).out);
  CHECK(shown["headers"]["X-Api-Key"] == "${WEIR_TEST_HEADER_KEY}");
  auto dry = home.run({"chat", "g", "hi", "--dry-run"});
  CHECK(json::parse(dry.out)["headers"]["X-Api-Key"] == "${WEIR_TEST_HEADER_KEY}");
  expect_no_secret("a header reference, shown", dry);
}

TEST_CASE("secrets: the store's files are readable by their user only") {
  // The usual umask, which would leave them 0644 if weir did not choose; the
  // weir processes this test starts inherit it.
  struct UsualUmask {
    mode_t previous = ::umask(022);
    ~UsualUmask() { ::umask(previous); }
  } usual_umask;
  SecretsFixture fixture;
  REQUIRE(fixture.home.run({"collection", "create", "kb"}).exit_code == 0);
  auto imported = fixture.home.run({"collection", "import", "kb", "-"},
                                   json({{"docid", "a"}, {"text", "private notes"}}).dump() + "\n");
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  REQUIRE(fixture.home.run({"collection", "search", "kb", "notes"}).exit_code == 0);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(fixture.home.path())) {
    struct stat status {};
    REQUIRE(::stat(entry.path().c_str(), &status) == 0);
    INFO(entry.path().string());
    CHECK((status.st_mode & 077) == 0);
  }
}
