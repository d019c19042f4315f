// AccessControl with a real store and clocks the test moves by hand: keys
// made or revoked on another connection (as `weir key` in another process
// does) count from the very next request, an expiry is crossed by moving the
// wall clock, an rpm window by moving the steady clock. Nothing waits.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/policy/access_control.hpp"
#include "core/store/database.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/key_repository.hpp"

using namespace weir;
using namespace weir::http;
using namespace std::chrono_literals;

namespace {

struct GuardedStore {
  std::filesystem::path directory;
  Paths paths;
  std::unique_ptr<DatabasePool> pool;
  std::unique_ptr<Database> other_process;  // where `weir key create|revoke` would write
  int64_t wall_milliseconds = 1'750'000'000'000;
  RateLimiter::Clock::time_point steady = RateLimiter::Clock::time_point() + 10h;

  GuardedStore() {
    directory = std::filesystem::temp_directory_path() / ("weir-access-" + std::to_string(getpid()));
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    paths.home = directory.string();
    paths.database = (directory / "weir.db").string();
    paths.indexes = (directory / "indexes").string();
    pool = std::make_unique<DatabasePool>(paths);
    other_process = std::make_unique<Database>(paths.database);
  }
  ~GuardedStore() {
    other_process.reset();
    pool.reset();
    std::filesystem::remove_all(directory);
  }

  std::unique_ptr<AccessControl> access(bool loopback_only = true) {
    AccessClocks clocks;
    clocks.unix_milliseconds = [this] { return wall_milliseconds; };
    clocks.steady = [this] { return steady; };
    return std::make_unique<AccessControl>(*pool, loopback_only, clocks);
  }

  std::string create_key(const std::string& name, std::optional<int> rpm = std::nullopt,
                         std::optional<int64_t> expires_at = std::nullopt) {
    return KeyRepository(*other_process).create(name, false, rpm, expires_at).text;
  }
};

Request request_with(const std::string& key = {}) {
  Request request;
  request.method = "GET";
  request.target = request.path = "/v1/models";
  request.headers.emplace_back("host", "127.0.0.1:8484");
  if (!key.empty()) request.headers.emplace_back("authorization", "Bearer " + key);
  return request;
}

// The error admit() refused with, or nullopt when it let the request in.
std::optional<Error> refusal(AccessControl& access, Request request) {
  try {
    access.admit(request);
    return std::nullopt;
  } catch (const Error& error) {
    return error;
  }
}

}  // namespace

TEST_CASE("access control: a key made or revoked elsewhere counts from the very next request") {
  GuardedStore store;
  auto access = store.access();
  CHECK_FALSE(refusal(*access, request_with()));  // no keys, loopback: open

  auto key = store.create_key("ci");
  auto missing = refusal(*access, request_with());
  REQUIRE(missing);
  CHECK(missing->kind() == ErrorKind::authentication);
  CHECK(missing->code() == "missing_api_key");
  auto wrong = refusal(*access, request_with("weir_sk_wrong"));
  REQUIRE(wrong);
  CHECK(wrong->code() == "invalid_api_key");
  Request admitted = request_with(key);
  access->admit(admitted);
  CHECK(admitted.caller.key_name == "ci");
  CHECK_FALSE(admitted.caller.public_key);

  auto second = store.create_key("second");
  CHECK_FALSE(refusal(*access, request_with(second)));

  KeyRepository(*store.other_process).revoke("ci");
  auto revoked = refusal(*access, request_with(key));
  REQUIRE(revoked);
  CHECK(revoked->code() == "invalid_api_key");
  KeyRepository(*store.other_process).revoke("second");
  CHECK_FALSE(refusal(*access, request_with()));  // no keys left, loopback: open again
}

TEST_CASE("access control: the Bearer scheme name is case-insensitive (RFC 9110 11.1)") {
  GuardedStore store;
  auto access = store.access();
  auto key = store.create_key("ci");
  auto with_authorization = [](const std::string& value) {
    Request request = request_with();
    request.headers.emplace_back("authorization", value);
    return request;
  };
  for (const std::string scheme : {"Bearer", "bearer", "BEARER", "bEaReR"}) {
    Request request = with_authorization(scheme + " " + key);
    CHECK_NOTHROW(access->admit(request));
    CHECK(request.caller.key_name == "ci");
  }
  auto other_scheme = refusal(*access, with_authorization("Basic " + key));
  REQUIRE(other_scheme);
  CHECK(other_scheme->code() == "missing_api_key");
  auto no_token = refusal(*access, with_authorization("bearer "));
  REQUIRE(no_token);
  CHECK(no_token->code() == "missing_api_key");
  auto wrong = refusal(*access, with_authorization("bearer weir_sk_wrong"));
  REQUIRE(wrong);
  CHECK(wrong->code() == "invalid_api_key");
}

TEST_CASE("access control: beyond loopback, no keys lets nobody in") {
  GuardedStore store;
  auto access = store.access(/*loopback_only=*/false);
  auto refused = refusal(*access, request_with());
  REQUIRE(refused);
  CHECK(refused->kind() == ErrorKind::authentication);
  CHECK(std::string(refused->what()).find("weir key create") != std::string::npos);
  Request health = request_with();
  health.path = "/healthz";
  CHECK_FALSE(refusal(*access, health));  // health needs no key
  auto key = store.create_key("ops");
  CHECK_FALSE(refusal(*access, request_with(key)));
}

TEST_CASE("access control: a key expires when the wall clock passes its time") {
  GuardedStore store;
  auto access = store.access();
  auto key = store.create_key("short", std::nullopt, store.wall_milliseconds + 60'000);
  CHECK_FALSE(refusal(*access, request_with(key)));
  store.wall_milliseconds += 59'999;
  CHECK_FALSE(refusal(*access, request_with(key)));
  store.wall_milliseconds += 1;
  auto expired = refusal(*access, request_with(key));
  REQUIRE(expired);
  CHECK(expired->kind() == ErrorKind::authentication);
  CHECK(expired->code() == "expired_api_key");
  CHECK(std::string(expired->what()).find("'short' has expired") != std::string::npos);
}

TEST_CASE("access control: a key's rpm limit follows the steady clock") {
  GuardedStore store;
  auto access = store.access();
  auto key = store.create_key("limited", 2);
  CHECK_FALSE(refusal(*access, request_with(key)));
  store.steady += 30s;
  CHECK_FALSE(refusal(*access, request_with(key)));
  store.steady += 10s;
  auto limited = refusal(*access, request_with(key));
  REQUIRE(limited);
  CHECK(limited->kind() == ErrorKind::rate_limited);
  CHECK(limited->retry_after_seconds() == 20);  // when the first request leaves the window
  store.steady += 20s;
  CHECK_FALSE(refusal(*access, request_with(key)));  // the first has left
  CHECK(refusal(*access, request_with(key)));        // the second has not
}

TEST_CASE("access control: web pages are refused before any key is looked at") {
  GuardedStore store;
  auto access = store.access();
  Request from_page = request_with();
  from_page.headers.emplace_back("origin", "https://example.com");
  auto refused = refusal(*access, from_page);
  REQUIRE(refused);
  CHECK(refused->kind() == ErrorKind::permission);
  Request rebound = request_with();
  rebound.headers[0].second = "evil.example:8484";
  auto rebinding = refusal(*access, rebound);
  REQUIRE(rebinding);
  CHECK(rebinding->kind() == ErrorKind::permission);
}

TEST_CASE("access control: a request refused after admission (403) does not count toward the key's rpm") {
  GuardedStore store;
  auto access = store.access();
  auto key = store.create_key("public-app", 2);
  for (int refused = 0; refused < 5; ++refused) {
    auto request = request_with(key);
    REQUIRE_NOTHROW(access->admit(request));
    access->refused(request);  // e.g. a public key naming a slug
  }
  CHECK_FALSE(refusal(*access, request_with(key)));
  CHECK_FALSE(refusal(*access, request_with(key)));
  auto limited = refusal(*access, request_with(key));  // only the two answered ones count
  REQUIRE(limited);
  CHECK(limited->kind() == ErrorKind::rate_limited);
  Request page = request_with(key);
  page.headers.emplace_back("origin", "https://example.com");
  CHECK_THROWS_AS(access->admit(page), Error);
  access->refused(page);  // refused before admission: nothing to take back
  CHECK(refusal(*access, request_with(key)));
}

TEST_CASE("access control: web chat answers its own page without an API key, and no other site") {
  GuardedStore store;
  auto access = store.access();
  store.create_key("ci");
  auto chat = [](const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request = request_with();
    request.method = "POST";
    request.target = request.path = path;
    for (auto& header : headers) request.headers.push_back(std::move(header));
    return request;
  };
  // The routes check the session's access key themselves; no API key needed.
  CHECK_FALSE(refusal(*access, chat("/v1/chat-sessions/cs_1/messages")));
  CHECK_FALSE(refusal(*access, chat("/chat/cs_1")));
  CHECK_FALSE(refusal(*access, chat("/assets/chat/chat.js")));
  CHECK_FALSE(refusal(*access, chat("/v1/chat-sessions/cs_1/messages", {{"origin", "http://127.0.0.1:8484"}})));
  CHECK_FALSE(refusal(*access, chat("/v1/chat-sessions/cs_1", {{"origin", "HTTPS://127.0.0.1:8484"}})));
  for (const auto& origin : {"http://evil.example", "null", "http://127.0.0.1:9999", "http://127.0.0.1"}) {
    auto refused = refusal(*access, chat("/v1/chat-sessions/cs_1/messages", {{"origin", origin}}));
    REQUIRE_MESSAGE(refused, origin);
    CHECK(refused->kind() == ErrorKind::permission);
  }
  auto marked = refusal(*access, chat("/v1/chat-sessions/cs_1", {{"sec-fetch-site", "cross-site"}}));
  REQUIRE(marked);
  CHECK(marked->kind() == ErrorKind::permission);
  // A link followed from another site opens the page.
  CHECK_FALSE(refusal(*access, chat("/chat/cs_1", {{"sec-fetch-site", "cross-site"}})));
  // Opening sessions and every other route keep the API key and the no-pages rule.
  CHECK(refusal(*access, chat("/v1/chat-clients/support/sessions"))->code() == "missing_api_key");
  CHECK(refusal(*access, chat("/v1/chat-clients/support/sessions", {{"origin", "http://127.0.0.1:8484"}}))->kind() ==
        ErrorKind::permission);
  CHECK(refusal(*access, chat("/v1/chat-sessionsX/1"))->code() == "missing_api_key");
  // A server beyond loopback with no keys still lets nobody in.
  KeyRepository(*store.other_process).revoke("ci");
  auto open_network = store.access(false);
  CHECK(refusal(*open_network, chat("/v1/chat-sessions/cs_1"))->kind() == ErrorKind::authentication);
}
