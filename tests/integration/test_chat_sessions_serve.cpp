// Web chat sessions over raw HTTP against the built `weir serve`: an access
// key opens its own session and nothing else (not another session, not an
// API route), expired sessions and other sites' pages are refused, the
// chat client's limits answer with a message for the page, and a retry
// replaces the last answer. The page itself is driven in Chromium by
// tests/peers/web_chat_browser.mjs.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/store/database.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace chunk = openai_chunk;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ChatFixture {
  FakeUpstream upstream;
  WeirHome home;

  explicit ChatFixture(const std::vector<std::string>& client_flags = {}) {
    upstream.set_responder([](const RecordedRequest&, size_t serial) {
      return ScriptedResponse::sse({chunk::role(), chunk::content("answer "), chunk::content(std::to_string(serial)),
                                    chunk::finish("stop"), chunk::kDone});
    });
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "helper", "--provider", "fake", "--model", "fake-model"});
    std::vector<std::string> create = {"chat-client", "create", "support", "--gateway", "helper", "--title", "Support"};
    create.insert(create.end(), client_flags.begin(), client_flags.end());
    run_ok(create);
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
};

json open_session(int port, const Headers& headers = {}, const json& body = json::object()) {
  auto reply = http_request(port, "POST", "/v1/chat-clients/support/sessions", body.dump(), headers);
  REQUIRE_MESSAGE(reply.status == 201, reply.raw);
  return body_json(reply);
}

Headers with_key(const json& session, Headers extra = {}) {
  extra.emplace_back("Authorization", "Bearer " + session["access_key"].get<std::string>());
  extra.emplace_back("Content-Type", "application/json");
  return extra;
}

std::string path_of(const json& session, const std::string& rest = "") {
  return "/v1/chat-sessions/" + session["session_id"].get<std::string>() + rest;
}

HttpReply send(int port, const json& session, const std::string& text, Headers extra = {}) {
  return http_request(port, "POST", path_of(session, "/messages"), json{{"content", text}}.dump(), with_key(session, extra));
}

// The answer text of a session SSE body, and its last event.
std::pair<std::string, json> answer_of(const HttpReply& reply) {
  std::string text;
  json last;
  for (const auto& data : sse_data(reply.body)) {
    last = json::parse(data);
    if (last["type"] == "delta") text += last["content"].get<std::string>();
  }
  return {text, last};
}

}  // namespace

TEST_CASE("chat sessions: an access key opens its own session only, never another or an API route") {
  ChatFixture fixture;
  auto api_key = json::parse(fixture.run_ok({"--json", "key", "create", "backend"}).out)["key"].get<std::string>();
  ServeProcess serve(fixture.home);
  const Headers bearer = {{"Authorization", "Bearer " + api_key}};

  // Opening a session needs the API key once keys exist.
  CHECK(http_request(serve.port(), "POST", "/v1/chat-clients/support/sessions", "{}").status == 401);
  auto first = open_session(serve.port(), bearer, {{"extra_context", "The user is on the **Pro** plan."}});
  auto second = open_session(serve.port(), bearer);
  CHECK(first["access_key"].get<std::string>().rfind("weir_ck_", 0) == 0);
  CHECK(first["talk_url"] == "http://127.0.0.1/chat/" + first["session_id"].get<std::string>() + "#key=" +
                                 first["access_key"].get<std::string>());
  CHECK(http_request(serve.port(), "POST", "/v1/chat-clients/nobody/sessions", "{}", bearer).status == 404);

  auto reply = send(serve.port(), first, "hello");
  REQUIRE_MESSAGE(reply.status == 200, reply.raw);
  CHECK(reply.header("content-type").find("text/event-stream") == 0);
  auto [text, last] = answer_of(reply);
  CHECK(text == "answer 0");
  CHECK(last["type"] == "done");
  // The extra context reached the model, before the conversation.
  auto sent = fixture.upstream.requests().back().json_body["messages"];
  CHECK(sent[0]["content"] == "The user is on the **Pro** plan.");
  CHECK(sent.back()["content"] == "hello");

  auto view = http_request(serve.port(), "GET", path_of(first), "", with_key(first));
  REQUIRE(view.status == 200);
  CHECK(view.header("cache-control") == "no-store");
  auto shown = body_json(view);
  CHECK(shown["client"]["title"] == "Support");
  CHECK(shown["messages"] == json::array({{{"role", "user"}, {"content", "hello"}}, {{"role", "assistant"}, {"content", "answer 0"}}}));

  SUBCASE("the key of one session cannot read, write or clear another") {
    for (const auto& [method, rest] : std::vector<std::pair<std::string, std::string>>{
             {"GET", ""}, {"GET", "/transcript"}, {"DELETE", "/messages"}, {"POST", "/retry"}, {"POST", "/messages"}}) {
      auto refused = http_request(serve.port(), method, path_of(first, rest), R"({"content":"x"})", with_key(second));
      CHECK_MESSAGE(refused.status == 401, method << " " << rest << ": " << refused.raw);
      CHECK(body_json(refused)["error"]["code"] == "invalid_session_key");
    }
    CHECK(http_request(serve.port(), "GET", path_of(first), "", {{"Authorization", "Bearer weir_ck_made_up"}}).status == 401);
    CHECK(http_request(serve.port(), "GET", path_of(first)).status == 401);
    // Nothing of the first session changed.
    CHECK(body_json(http_request(serve.port(), "GET", path_of(first), "", with_key(first)))["messages"].size() == 2);
  }
  SUBCASE("an access key is not an API key") {
    CHECK(http_request(serve.port(), "GET", "/v1/models", "", with_key(first)).status == 401);
    auto completion = post_chat(serve.port(), {{"model", "helper"}, {"messages", json::array({{{"role", "user"}, {"content", "x"}}})}},
                                with_key(first));
    CHECK(completion.status == 401);
    CHECK(http_request(serve.port(), "POST", "/v1/chat-clients/support/sessions", "{}", with_key(first)).status == 401);
    CHECK(http_request(serve.port(), "GET", "/metrics", "", with_key(first)).status == 401);
  }
  SUBCASE("transcript, clear, and a tag's live session reused") {
    auto transcript = http_request(serve.port(), "GET", path_of(first, "/transcript"), "", with_key(first));
    CHECK(transcript.status == 200);
    CHECK(transcript.header("content-disposition").find("attachment") == 0);
    CHECK(transcript.body.find("## You\n\nhello\n") != std::string::npos);
    CHECK(transcript.body.find("## Assistant\n\nanswer 0\n") != std::string::npos);
    CHECK(http_request(serve.port(), "DELETE", path_of(first, "/messages"), "", with_key(first)).status == 200);
    CHECK(body_json(http_request(serve.port(), "GET", path_of(first), "", with_key(first)))["messages"].empty());

    auto tagged = open_session(serve.port(), bearer, {{"tag", "user-7"}, {"expires", "2h"}});
    auto again = open_session(serve.port(), bearer, {{"tag", "user-7"}});
    CHECK(again["session_id"] == tagged["session_id"]);
    CHECK(again["reused"] == true);
    CHECK(again["access_key"] != tagged["access_key"]);
    CHECK(http_request(serve.port(), "GET", path_of(tagged), "", with_key(tagged)).status == 200);
    CHECK(http_request(serve.port(), "GET", path_of(again), "", with_key(again)).status == 200);
    CHECK(send(serve.port(), again, "hi").status == 200);
  }
  SUBCASE("bad session requests are refused with what to fix") {
    auto short_lived = http_request(serve.port(), "POST", "/v1/chat-clients/support/sessions", R"({"expires": "5m"})", bearer);
    CHECK(short_lived.status == 400);
    CHECK(body_json(short_lived)["error"]["message"].get<std::string>().find("10 minutes and 90 days") != std::string::npos);
    CHECK(http_request(serve.port(), "POST", "/v1/chat-clients/support/sessions", R"({"expires": 7776001})", bearer).status == 400);
    CHECK(http_request(serve.port(), "POST", "/v1/chat-clients/support/sessions", R"({"color": "red"})", bearer).status == 400);
    CHECK(send(serve.port(), first, "  ").status == 400);
  }
}

TEST_CASE("chat sessions: an expired session is refused, a near-expiry one is extended by a message") {
  ChatFixture fixture;
  ServeProcess serve(fixture.home);
  auto session = open_session(serve.port(), {}, {{"expires", 600}});
  auto id = session["session_id"].get<std::string>();
  auto now = body_json(http_request(serve.port(), "GET", path_of(session), "", with_key(session)))["session"]["expires_at"].get<int64_t>() - 600'000;

  {
    weir::Database database(fixture.home.path() + "/weir.db");
    // A quarter of its life left: the next message gives it a whole one again.
    database.prepare("UPDATE chat_sessions SET expires_at = ?1 WHERE id = ?2").bind(1, now + 150'000).bind(2, id).run();
  }
  REQUIRE(send(serve.port(), session, "still there?").status == 200);
  auto extended = body_json(http_request(serve.port(), "GET", path_of(session), "", with_key(session)))["session"]["expires_at"].get<int64_t>();
  CHECK(extended >= now + 600'000);

  {
    weir::Database database(fixture.home.path() + "/weir.db");
    database.prepare("UPDATE chat_sessions SET expires_at = 1 WHERE id = ?1").bind(1, id).run();
  }
  for (const auto& [method, rest] : std::vector<std::pair<std::string, std::string>>{{"GET", ""}, {"POST", "/messages"}}) {
    auto refused = http_request(serve.port(), method, path_of(session, rest), R"({"content":"x"})", with_key(session));
    CHECK(refused.status == 401);
    CHECK(body_json(refused)["error"]["code"] == "session_expired");
    CHECK(body_json(refused)["error"]["message"].get<std::string>().find("expired") != std::string::npos);
  }
  CHECK(fixture.upstream.request_count() == 1);
}

TEST_CASE("chat sessions: other sites' pages are refused, the page's own origin is served") {
  ChatFixture fixture;
  ServeProcess serve(fixture.home);
  auto session = open_session(serve.port());

  auto cross = send(serve.port(), session, "hi", {{"Origin", "http://evil.example"}});
  CHECK(cross.status == 403);
  CHECK(send(serve.port(), session, "hi", {{"Origin", "null"}}).status == 403);
  CHECK(http_request(serve.port(), "GET", path_of(session), "", with_key(session, {{"Origin", "http://127.0.0.1:1"}})).status == 403);
  CHECK(http_request(serve.port(), "GET", path_of(session), "", with_key(session, {{"Sec-Fetch-Site", "cross-site"}})).status == 403);
  // Opening sessions and the API stay closed to every page, this server's too.
  CHECK(http_request(serve.port(), "POST", "/v1/chat-clients/support/sessions", "{}", {{"Origin", "http://127.0.0.1"}}).status == 403);
  CHECK(http_request(serve.port(), "GET", "/v1/models", "", {{"Origin", "http://127.0.0.1"}}).status == 403);
  CHECK(fixture.upstream.request_count() == 0);

  auto same = send(serve.port(), session, "hi", {{"Origin", "http://127.0.0.1"}, {"Sec-Fetch-Site", "same-origin"}});
  CHECK(same.status == 200);
  CHECK(answer_of(same).first == "answer 0");

  auto page = http_request(serve.port(), "GET", "/chat/" + session["session_id"].get<std::string>());
  CHECK(page.status == 200);
  CHECK(page.header("content-type").find("text/html") == 0);
  auto policy = page.header("content-security-policy");
  CHECK(policy.find("default-src 'none'") != std::string::npos);
  CHECK(policy.find("script-src 'self'") != std::string::npos);
  CHECK(policy.find("unsafe") == std::string::npos);
  CHECK(page.body.find("/assets/chat/chat.js") != std::string::npos);
  CHECK(http_request(serve.port(), "GET", "/assets/chat/chat.js").header("content-type").find("text/javascript") == 0);
  CHECK(http_request(serve.port(), "GET", "/assets/chat/nothing.js").status == 404);
}

TEST_CASE("chat sessions: the chat client's limits answer with a message for the page, and retry replaces the answer") {
  ChatFixture fixture({"--messages-per-hour", "2", "--max-messages", "3"});
  ServeProcess serve(fixture.home);
  auto session = open_session(serve.port());

  REQUIRE(send(serve.port(), session, "one").status == 200);
  auto retried = http_request(serve.port(), "POST", path_of(session, "/retry"), "{}", with_key(session));
  REQUIRE(retried.status == 200);
  CHECK(answer_of(retried).first == "answer 1");
  auto messages = body_json(http_request(serve.port(), "GET", path_of(session), "", with_key(session)))["messages"];
  CHECK(messages == json::array({{{"role", "user"}, {"content", "one"}}, {{"role", "assistant"}, {"content", "answer 1"}}}));

  auto hourly = send(serve.port(), session, "three");
  CHECK(hourly.status == 429);
  CHECK(body_json(hourly)["error"]["message"] == "This chat allows 2 messages per hour. You can send the next one in 60 minutes.");
  CHECK(body_json(hourly)["error"]["code"] == "session_hourly_limit");
  CHECK(!hourly.header("retry-after").empty());
  // Clearing the conversation does not give the messages back.
  CHECK(http_request(serve.port(), "DELETE", path_of(session, "/messages"), "", with_key(session)).status == 200);
  CHECK(send(serve.port(), session, "three").status == 429);
  CHECK(fixture.upstream.request_count() == 2);

  // The lifetime limit, once the hour has passed.
  {
    weir::Database database(fixture.home.path() + "/weir.db");
    database.execute("UPDATE chat_session_sends SET sent_at = sent_at - 3600000");
  }
  CHECK(send(serve.port(), session, "three").status == 200);
  auto total = send(serve.port(), session, "four");
  CHECK(total.status == 429);
  CHECK(body_json(total)["error"]["message"] == "This chat session has reached its limit of 3 messages. Ask for a new link to go on.");
}

TEST_CASE("chat sessions: a retry whose new answer fails keeps the turn it was to replace") {
  ChatFixture fixture;
  ServeProcess serve(fixture.home);
  auto session = open_session(serve.port());
  REQUIRE(send(serve.port(), session, "one").status == 200);
  fixture.upstream.enqueue(
      ScriptedResponse::json_body(400, {{"error", {{"message", "refused"}, {"type", "invalid_request_error"}}}}));
  auto retried = http_request(serve.port(), "POST", path_of(session, "/retry"), "{}", with_key(session));
  CHECK(retried.status >= 400);
  auto messages = body_json(http_request(serve.port(), "GET", path_of(session), "", with_key(session)))["messages"];
  CHECK(messages == json::array({{{"role", "user"}, {"content", "one"}}, {{"role", "assistant"}, {"content", "answer 0"}}}));
  CHECK(fixture.upstream.request_count() == 2);
}

TEST_CASE("chat sessions: a session is its opening key's: its limits apply, its tag is its own, revoking it ends the session") {
  ChatFixture fixture;
  auto limited = json::parse(fixture.run_ok({"--json", "key", "create", "tenant-a", "--limit-rpm", "1"}).out);
  auto other = json::parse(fixture.run_ok({"--json", "key", "create", "tenant-b"}).out);
  ServeProcess serve(fixture.home);
  const Headers tenant_a = {{"Authorization", "Bearer " + limited["key"].get<std::string>()}};
  const Headers tenant_b = {{"Authorization", "Bearer " + other["key"].get<std::string>()}};

  auto session = open_session(serve.port(), tenant_a, {{"tag", "alice"}});
  // Another tenant naming the same end user gets its own session, not tenant-a's.
  auto stranger = open_session(serve.port(), tenant_b, {{"tag", "alice"}});
  CHECK(stranger["reused"] == false);
  CHECK(stranger["session_id"] != session["session_id"]);
  auto again = open_session(serve.port(), tenant_a, {{"tag", "alice"}});
  CHECK(again["reused"] == true);
  CHECK(again["session_id"] == session["session_id"]);

  // The prompts are tenant-a's requests: its one request a minute holds.
  REQUIRE(send(serve.port(), session, "one").status == 200);
  auto refused = send(serve.port(), session, "two");
  CHECK(refused.status == 429);
  CHECK(body_json(refused)["error"]["message"].get<std::string>().find("tenant-a") != std::string::npos);
  CHECK(fixture.upstream.request_count() == 1);

  fixture.run_ok({"key", "revoke", "tenant-a"});
  auto ended = http_request(serve.port(), "GET", path_of(session), "", with_key(session));
  CHECK(ended.status == 401);
  CHECK(body_json(ended)["error"]["message"].get<std::string>().find("revoked") != std::string::npos);
  CHECK(send(serve.port(), stranger, "hello").status == 200);
}

TEST_CASE("chat sessions: retry after an answer failed mid-stream answers that prompt, not the one before") {
  ChatFixture fixture;
  ServeProcess serve(fixture.home);
  auto session = open_session(serve.port());
  REQUIRE(send(serve.port(), session, "one").status == 200);
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("half "), R"({"error":{"message":"overloaded","type":"server_error"}})"}));
  auto failed = send(serve.port(), session, "two");
  REQUIRE(failed.status == 200);
  CHECK(answer_of(failed).second["type"] == "error");

  // The page retries the prompt it shows: "two".
  auto retried =
      http_request(serve.port(), "POST", path_of(session, "/retry"), json{{"content", "two"}}.dump(), with_key(session));
  REQUIRE_MESSAGE(retried.status == 200, retried.raw);
  CHECK(answer_of(retried).first == "answer 2");
  auto sent = fixture.upstream.requests().back().json_body["messages"];
  CHECK(sent.back()["content"] == "two");
  auto messages = body_json(http_request(serve.port(), "GET", path_of(session), "", with_key(session)))["messages"];
  CHECK(messages == json::array({{{"role", "user"}, {"content", "one"}},
                                 {{"role", "assistant"}, {"content", "answer 0"}},
                                 {{"role", "user"}, {"content", "two"}},
                                 {{"role", "assistant"}, {"content", "answer 2"}}}));
  // A retry of the prompt the store holds replaces its answer.
  auto replaced =
      http_request(serve.port(), "POST", path_of(session, "/retry"), json{{"content", "two"}}.dump(), with_key(session));
  CHECK(answer_of(replaced).first == "answer 3");
  CHECK(body_json(http_request(serve.port(), "GET", path_of(session), "", with_key(session)))["messages"].size() == 4);

  // The same prompt again, failing: the page shows three prompts, the store
  // two, so the retry answers the third instead of replacing the second.
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("half "), R"({"error":{"message":"overloaded","type":"server_error"}})"}));
  REQUIRE(answer_of(send(serve.port(), session, "two")).second["type"] == "error");
  auto repeated = http_request(serve.port(), "POST", path_of(session, "/retry"),
                               json{{"content", "two"}, {"user_messages", 3}}.dump(), with_key(session));
  CHECK(answer_of(repeated).first == "answer 5");
  auto kept = body_json(http_request(serve.port(), "GET", path_of(session), "", with_key(session)))["messages"];
  REQUIRE(kept.size() == 6);
  CHECK(kept[3]["content"] == "answer 3");
  CHECK(kept[5]["content"] == "answer 5");
}

TEST_CASE("chat sessions: a prompt sent while another is being answered is refused, not interleaved") {
  ChatFixture fixture;
  ServeProcess serve(fixture.home);
  auto session = open_session(serve.port());
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("slow words")}, 60s));
  RawConnection first(serve.port());
  auto body = json{{"content", "first"}}.dump();
  first.send("POST " + path_of(session, "/messages") + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
             session["access_key"].get<std::string>() + "\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
  REQUIRE(first.read_until("slow words"));

  auto second = send(serve.port(), session, "second");
  CHECK(second.status == 429);
  CHECK(body_json(second)["error"]["code"] == "session_busy");
  CHECK(http_request(serve.port(), "DELETE", path_of(session, "/messages"), "", with_key(session)).status == 429);
  CHECK(fixture.upstream.request_count() == 1);

  // The first answer ends when its tab goes; then the session takes prompts again.
  first.close();
  HttpReply next;
  for (int attempt = 0; attempt < 500; ++attempt) {
    next = send(serve.port(), session, "second");
    if (next.status != 429) break;
    REQUIRE(body_json(next)["error"]["code"] == "session_busy");
  }
  CHECK(next.status == 200);
  CHECK(answer_of(next).first == "answer 1");
}
