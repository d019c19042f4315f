// `weir provider test NAME [--model M]` end to end: the built binary, a
// temporary home, and the fake upstream answering (or failing) the one tiny
// chat; a port nothing listens on for a connection that is refused.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

constexpr const char* kKey = "sk-provider-test-secret";

struct ProviderTestFixture {
  FakeUpstream upstream;
  WeirHome home;

  ProviderTestFixture() {
    home.environment["WEIR_TEST_PROVIDER_KEY"] = kKey;
    // Retries configured: the test must still send exactly one request.
    add({"provider", "add", "fake", "--base-url", upstream.base_url(), "--api-key-env", "WEIR_TEST_PROVIDER_KEY",
         "--max-retries", "2"});
  }
  void add(const std::vector<std::string>& arguments) {
    auto added = home.run(arguments);
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A loopback port nothing listens on: bound by the OS for us, then released.
int unused_port() {
  int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(socket_fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(socket_fd);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("provider test: one tiny chat, not streamed, prints the latency and the answer") {
  ProviderTestFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("OK", "stop", 8, 1)));
  auto result = fixture.home.run({"provider", "test", "fake", "--model", "fake-model"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  // "ok: fake answered in <digits> ms (model fake-model): "OK"" (no <regex>:
  // GCC 12 warns inside it under the sanitizers).
  const std::string head = "ok: fake answered in ", tail = " ms (model fake-model): \"OK\"\n";
  REQUIRE(result.out.size() > head.size() + tail.size());
  CHECK(result.out.compare(0, head.size(), head) == 0);
  CHECK(result.out.compare(result.out.size() - tail.size(), tail.size(), tail) == 0);
  const std::string latency = result.out.substr(head.size(), result.out.size() - head.size() - tail.size());
  CHECK(!latency.empty());
  CHECK(latency.find_first_not_of("0123456789") == std::string::npos);
  CHECK_FALSE(contains(result.out + result.err, kKey));

  REQUIRE(fixture.upstream.request_count() == 1);
  auto request = fixture.upstream.requests().at(0);
  CHECK(request.path == "/v1/chat/completions");
  CHECK(request.header("Authorization") == std::string("Bearer ") + kKey);
  CHECK(request.json_body["model"] == "fake-model");
  CHECK(request.json_body["stream"] == false);
  CHECK(request.json_body["max_tokens"] == 16);
  REQUIRE(request.json_body["messages"].size() == 1);
  CHECK(request.json_body["messages"][0]["role"] == "user");
  CHECK(request.json_body["messages"][0]["content"] == "Ping");
}

TEST_CASE("provider test: a rejected key is exit 5 with the upstream's message, after one request") {
  ProviderTestFixture fixture;
  fixture.upstream.set_default(ScriptedResponse::json_body(
      401, {{"error", {{"message", "Incorrect API key provided: sk-pro***ret."}, {"type", "invalid_request_error"},
                       {"code", "invalid_api_key"}}}}));
  auto result = fixture.home.run({"provider", "test", "fake", "--model", "fake-model"});
  CHECK(result.exit_code == 5);
  CHECK(result.out.empty());
  CHECK(contains(result.err, "fake rejected the API key (HTTP 401): Incorrect API key provided"));
  CHECK(contains(result.err, "check $WEIR_TEST_PROVIDER_KEY"));
  CHECK(contains(result.err, "failed after"));
  CHECK_FALSE(contains(result.err, kKey));
  CHECK(fixture.upstream.request_count() == 1);

  // A rate limit is not retried either: the provider's state now, at once.
  fixture.upstream.set_default(ScriptedResponse::json_body(
      429, {{"error", {{"message", "Rate limit reached for requests"}, {"code", "rate_limit_exceeded"}}}},
      {{"Retry-After", "0"}}));
  auto limited = fixture.home.run({"provider", "test", "fake", "--model", "fake-model"});
  CHECK(limited.exit_code == 6);
  CHECK(contains(limited.err, "Rate limit reached for requests"));
  CHECK(fixture.upstream.request_count() == 2);
}

TEST_CASE("provider test: a connection refused is the connection error, exit 4") {
  ProviderTestFixture fixture;
  const std::string url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/v1";
  fixture.add({"provider", "add", "nowhere", "--base-url", url, "--max-retries", "2"});
  auto result = fixture.home.run({"provider", "test", "nowhere", "--model", "any-model"});
  CHECK(result.exit_code == 4);
  CHECK(result.out.empty());
  CHECK(contains(result.err, "could not connect to " + url + "/chat/completions"));
  CHECK(contains(result.err, "is the service running?"));

  auto as_json = fixture.home.run({"--json", "provider", "test", "nowhere", "--model", "any-model"});
  CHECK(as_json.exit_code == 4);
  auto object = json::parse(as_json.out, nullptr, false);
  REQUIRE(object.is_object());
  CHECK(object["ok"] == false);
  CHECK(object["error"]["kind"] == "upstream");
  CHECK(object["error"]["code"] == "upstream_error");
  CHECK(contains(object["error"]["message"].get<std::string>(), "could not connect to"));
}

TEST_CASE("provider test: --json prints provider, model, ok, latency_ms and the answer or the error") {
  ProviderTestFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("Pong")));
  auto result = fixture.home.run({"--json", "provider", "test", "fake", "--model", "fake-model"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto object = json::parse(result.out, nullptr, false);
  REQUIRE(object.is_object());
  CHECK(object["provider"] == "fake");
  CHECK(object["model"] == "fake-model");
  CHECK(object["ok"] == true);
  REQUIRE(object["latency_ms"].is_number_integer());
  CHECK(object["latency_ms"].get<int64_t>() >= 0);
  CHECK(object["answer"] == "Pong");
  CHECK(object["finish_reason"] == "stop");
  CHECK_FALSE(object.contains("error"));

  fixture.upstream.enqueue(ScriptedResponse::json_body(
      400, {{"error", {{"message", "This model's maximum context length is 8192 tokens."},
                       {"type", "invalid_request_error"},
                       {"code", "context_length_exceeded"}}}}));
  auto failed = fixture.home.run({"--json", "provider", "test", "fake", "--model", "fake-model"});
  CHECK(failed.exit_code == 2);
  auto error_object = json::parse(failed.out, nullptr, false);
  REQUIRE(error_object.is_object());
  CHECK(error_object["provider"] == "fake");
  CHECK(error_object["model"] == "fake-model");
  CHECK(error_object["ok"] == false);
  CHECK(error_object["latency_ms"].is_number_integer());
  CHECK_FALSE(error_object.contains("answer"));
  CHECK(error_object["error"]["kind"] == "usage");
  CHECK(error_object["error"]["code"] == "context_length_exceeded");
  CHECK(contains(error_object["error"]["message"].get<std::string>(), "maximum context length is 8192 tokens"));
  // The same message reaches stderr, as every failing command's does.
  CHECK(contains(failed.err, "maximum context length is 8192 tokens"));
}

TEST_CASE("provider test: an unknown provider is exit 3") {
  ProviderTestFixture fixture;
  auto result = fixture.home.run({"provider", "test", "fkae", "--model", "m"});
  CHECK(result.exit_code == 3);
  CHECK(contains(result.err, "fkae"));
  CHECK(contains(result.err, "fake"));  // the known providers are named
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("provider test: without --model the first listed model is tested; a kind that lists none asks for one") {
  ProviderTestFixture fixture;
  fixture.upstream.set_models({"alpha-model", "beta-model"});
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("OK")));
  auto result = fixture.home.run({"provider", "test", "fake"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(contains(result.out, "(model alpha-model)"));
  CHECK(contains(result.err, "no --model given: testing alpha-model, the first of the 2 models fake lists"));
  REQUIRE(fixture.upstream.request_count() == 2);
  auto requests = fixture.upstream.requests();
  CHECK(requests.at(0).method == "GET");
  CHECK(requests.at(0).path == "/v1/models");
  CHECK(requests.at(1).path == "/v1/chat/completions");
  CHECK(requests.at(1).json_body["model"] == "alpha-model");

  // Azure's deployments URL form cannot list deployments: the user must name one.
  fixture.add({"provider", "add", "az", "--kind", "azure", "--base-url", fixture.upstream.root_url() + "/openai",
               "--api-key-env", "WEIR_TEST_PROVIDER_KEY"});
  auto azure = fixture.home.run({"provider", "test", "az"});
  CHECK(azure.exit_code == 2);
  CHECK(contains(azure.err, "cannot list deployments"));
  CHECK(contains(azure.err, "--model MODEL"));
  CHECK(fixture.upstream.request_count() == 2);
}
