// `weir serve` over raw HTTP: the built binary in a temporary home, a fake
// OpenAI upstream in this process, and a client on raw sockets so every byte
// (errors, SSE comments, disconnects) is under the test's control.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstring>

#include "core/base64.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
namespace chunk = openai_chunk;

namespace {

struct ServeFixture {
  FakeUpstream upstream;
  WeirHome home;

  ServeFixture() {
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "assistant", "--provider", "fake", "--model", "fake-model", "--system", "Be brief."});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  std::string gateway_id() {
    return json::parse(run_ok({"gateway", "show", "assistant", "--json"}).out)["id"].get<std::string>();
  }
  std::string create_key(const std::vector<std::string>& flags) {
    std::vector<std::string> arguments = {"key", "create"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    arguments.push_back("--json");
    return json::parse(run_ok(arguments).out)["key"].get<std::string>();
  }
  // The request log, once it holds at least `rows` rows: weir serve writes
  // them on a thread of its own, just after the answer.
  json logs(size_t rows = 0) {
    json listed;
    wait_for_store(home.path(), [&] {
      listed = json::parse(run_ok({"logs", "--json"}).out);
      return listed.size() >= rows;
    });
    return listed;
  }
};

}  // namespace

TEST_CASE("serve: a non-streaming completion runs the gateway and answers a chat.completion") {
  ServeFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("forty-two", "stop", 12, 3)));
  ServeProcess serve(fixture.home);
  auto reply = post_chat(serve.port(), {{"model", "assistant"},
                                        {"messages", {{{"role", "user"}, {"content", "six times seven?"}}}},
                                        {"temperature", 0.5},
                                        {"metadata", {{"ticket", "T-1"}}}});
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type") == "application/json");
  auto response = body_json(reply);
  CHECK(response["object"] == "chat.completion");
  CHECK(response["choices"][0]["message"]["content"] == "forty-two");
  CHECK(response["usage"]["prompt_tokens"] == 12);
  CHECK(response["generation_context"]["gateway"]["name"] == "assistant");

  auto upstream_body = fixture.upstream.requests().back().json_body;
  CHECK(upstream_body["messages"] == json::array({{{"role", "system"}, {"content", "Be brief."}},
                                                  {{"role", "user"}, {"content", "six times seven?"}}}));
  CHECK(upstream_body["temperature"] == 0.5);
  CHECK(upstream_body["stream"] == false);

  auto rows = fixture.logs(1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["front_door"] == "http");
  CHECK(rows[0]["status"] == "ok");
  CHECK(rows[0]["metadata"]["ticket"] == "T-1");
}

TEST_CASE("serve: model by id, slug, name or @provider/model; prompt as a shorthand") {
  ServeFixture fixture;
  auto id = fixture.gateway_id();
  auto slug = "assistant:" + id.substr(id.size() - 4);
  ServeProcess serve(fixture.home);
  for (const auto& model : std::vector<std::string>{id, slug, "assistant"}) {
    fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("ok")));
    auto reply = post_chat(serve.port(), {{"model", model}, {"prompt", "hi"}});
    CHECK_MESSAGE(reply.status == 200, model << ": " << reply.body);
    CHECK(fixture.upstream.requests().back().json_body["messages"][0]["content"] == "Be brief.");
  }
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("bare")));
  auto bare = post_chat(serve.port(), {{"model", "@fake/other-model"}, {"prompt", "hi"}});
  REQUIRE(bare.status == 200);
  auto upstream_body = fixture.upstream.requests().back().json_body;
  CHECK(upstream_body["model"] == "other-model");
  CHECK(upstream_body["messages"] == json::array({{{"role", "user"}, {"content", "hi"}}}));
}

TEST_CASE("serve: streaming forwards chunks, ends with usage when asked, then [DONE]") {
  ServeFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("Hel"), chunk::content("lo"), chunk::finish("stop"), chunk::usage(7, 2), chunk::kDone},
      5ms));
  ServeProcess serve(fixture.home);
  auto reply = post_chat(serve.port(), {{"model", "assistant"},
                                        {"prompt", "hi"},
                                        {"stream", true},
                                        {"stream_options", {{"include_usage", true}}}});
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type").find("text/event-stream") == 0);
  CHECK(reply.header("transfer-encoding") == "chunked");
  auto events = sse_data(reply.body);
  REQUIRE(events.size() >= 5);
  CHECK(events.back() == "[DONE]");
  auto first = json::parse(events[0]);
  CHECK(first["object"] == "chat.completion.chunk");
  CHECK(first["choices"][0]["delta"]["role"] == "assistant");
  std::string text;
  int finishes = 0, usages = 0;
  for (size_t index = 0; index + 1 < events.size(); ++index) {
    auto event = json::parse(events[index]);
    CHECK(event["id"] == first["id"]);
    if (event.contains("usage")) {
      ++usages;
      CHECK(event["choices"] == json::array());
      CHECK(event["usage"]["prompt_tokens"] == 7);
      CHECK(event["usage"]["completion_tokens"] == 2);
      CHECK(index + 2 == events.size());  // the last chunk before [DONE]
      continue;
    }
    auto& choice = event["choices"][0];
    if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) {
      ++finishes;
      CHECK(choice["finish_reason"] == "stop");
    }
  }
  CHECK(text == "Hello");
  CHECK(finishes == 1);
  CHECK(usages == 1);
  CHECK(fixture.upstream.requests().back().json_body["stream"] == true);

  // Without include_usage there is no usage chunk.
  fixture.upstream.enqueue(ScriptedResponse::text_answer("plain", true));
  auto plain = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}, {"stream", true}});
  for (const auto& event : sse_data(plain.body))
    if (event != "[DONE]") CHECK_FALSE(json::parse(event).contains("usage"));
}

TEST_CASE("serve: chunks are forwarded as they arrive, not buffered") {
  ServeFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("first words")}, 30s));
  ServeProcess serve(fixture.home);
  RawConnection connection(serve.port());
  std::string body = json{{"model", "assistant"}, {"prompt", "hi"}, {"stream", true}}.dump();
  connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
  // The upstream is now silent for 30 s: the words must already be here.
  CHECK(connection.read_until("first words", 10s));
}

TEST_CASE("serve: an upstream failure before the stream is an HTTP error; mid-stream an error chunk then [DONE]") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  fixture.upstream.enqueue(ScriptedResponse::json_body(500, {{"error", {{"message", "boom"}}}}));
  auto before = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}, {"stream", true}});
  CHECK(before.status == 502);
  CHECK(body_json(before)["error"]["type"] == "upstream_error");
  CHECK(body_json(before)["error"]["message"].get<std::string>().find("boom") != std::string::npos);

  // Content, then the upstream connection ends without finishing.
  fixture.upstream.enqueue(ScriptedResponse::raw(
      200, "text/event-stream", "data: " + chunk::role() + "\n\ndata: " + chunk::content("partial") + "\n\n"));
  auto during = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}, {"stream", true}});
  REQUIRE(during.status == 200);
  auto events = sse_data(during.body);
  REQUIRE(events.size() >= 3);
  CHECK(events.back() == "[DONE]");
  auto error = json::parse(events[events.size() - 2]);
  REQUIRE(error.contains("error"));
  CHECK(error["error"]["message"].is_string());
  CHECK(during.body.find("partial") != std::string::npos);
}

TEST_CASE("serve: bad requests get OpenAI error objects with the right status") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home, {"--max-body", "0.001"});  // about 1 KB

  auto malformed = http_request(serve.port(), "POST", "/v1/chat/completions", "{\"model\": \"assistant\", ");
  CHECK(malformed.status == 400);
  CHECK(body_json(malformed)["error"]["message"].get<std::string>().find("not acceptable JSON: syntax error at byte") != std::string::npos);
  CHECK(body_json(malformed)["error"]["type"] == "invalid_request_error");

  auto too_large = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", std::string(5000, 'x')}});
  CHECK(too_large.status == 413);
  CHECK(body_json(too_large)["error"]["code"] == "payload_too_large");

  auto deep = http_request(serve.port(), "POST", "/v1/chat/completions", std::string(400, '[') + std::string(400, ']'));
  CHECK(deep.status == 400);
  CHECK(body_json(deep)["error"]["message"].get<std::string>().find("levels deep") != std::string::npos);
  auto not_utf8 = http_request(serve.port(), "POST", "/v1/chat/completions", "{\"model\": \"assistant\", \"prompt\": \"\xff\xfe\"}");
  CHECK(not_utf8.status == 400);

  auto no_model = post_chat(serve.port(), {{"prompt", "hi"}});
  CHECK(no_model.status == 400);
  CHECK(body_json(no_model)["error"]["message"].get<std::string>().find("\"model\"") != std::string::npos);

  auto unknown = post_chat(serve.port(), {{"model", "nobody"}, {"prompt", "hi"}});
  CHECK(unknown.status == 404);
  CHECK(body_json(unknown)["error"]["code"] == "not_found");

  auto not_allowed = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}, {"system", "evil"}});
  CHECK(not_allowed.status == 400);

  auto no_route = http_request(serve.port(), "GET", "/v2/whatever");
  CHECK(no_route.status == 404);
  auto wrong_method = http_request(serve.port(), "GET", "/v1/chat/completions");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.header("allow") == "POST");

  auto garbage = http_raw(serve.port(), "HELLO\r\n\r\n");
  CHECK(garbage.status == 400);
  auto smuggling = http_raw(serve.port(),
                            "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(smuggling.status == 400);
  CHECK(fixture.upstream.request_count() == 0);
  CHECK(http_request(serve.port(), "GET", "/healthz").status == 200);  // and the server is still fine
}

TEST_CASE("serve: a body far over the limit gets its 413, not a connection reset") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home, {"--max-body", "1"});
  std::string body = json{{"model", "assistant"}, {"prompt", std::string(8 * 1024 * 1024, 'x')}}.dump();
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", body);
  CHECK(reply.status == 413);
  CHECK(reply.body.find("payload_too_large") != std::string::npos);
}

TEST_CASE("serve: requests from web pages are refused (Origin, DNS rebinding)") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  auto cross_site = http_request(serve.port(), "POST", "/v1/chat/completions", R"({"model":"assistant","prompt":"hi"})",
                                 {{"Origin", "https://evil.example"}, {"Content-Type", "text/plain"}});
  CHECK(cross_site.status == 403);
  CHECK(cross_site.body.find("web pages") != std::string::npos);
  auto rebound = http_raw(serve.port(), "GET /v1/models HTTP/1.1\r\nHost: evil.example:8484\r\nConnection: close\r\n\r\n");
  CHECK(rebound.status == 403);
  auto local = http_raw(serve.port(), "GET /v1/models HTTP/1.1\r\nHost: localhost:8484\r\nConnection: close\r\n\r\n");
  CHECK(local.status == 200);
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("serve: one keep-alive connection serves several requests; chunked request bodies work") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  RawConnection connection(serve.port());
  auto answers = [&] {
    size_t count = 0;
    for (auto at = connection.received().find("HTTP/1.1 200"); at != std::string::npos;
         at = connection.received().find("HTTP/1.1 200", at + 1))
      ++count;
    return count;
  };
  for (size_t round = 1; round <= 3; ++round) {
    connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    for (int wait = 0; wait < 500 && answers() < round; ++wait) connection.read_until("\"ok\"}", 20ms);
    CHECK(answers() == round);
  }
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("chunked ok")));
  std::string body = json{{"model", "assistant"}, {"prompt", "hi"}}.dump();
  auto half = body.size() / 2;
  char first[24], second[24];
  std::snprintf(first, sizeof first, "%zx", half);
  std::snprintf(second, sizeof second, "%zx", body.size() - half);
  auto reply = http_raw(serve.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n" +
                                          std::string(first) + "\r\n" + body.substr(0, half) + "\r\n" + second +
                                          "\r\n" + body.substr(half) + "\r\n0\r\n\r\n");
  CHECK(reply.status == 200);
  CHECK(reply.body.find("chunked ok") != std::string::npos);
}

TEST_CASE("serve: keys — none needed without keys; once one exists, 401 without or with a wrong key") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  fixture.upstream.set_default(ScriptedResponse::json_body(200, chat_completion("ok")));
  json request = {{"model", "assistant"}, {"prompt", "hi"}};
  CHECK(post_chat(serve.port(), request).status == 200);

  auto key = fixture.create_key({"ci"});
  CHECK(key.rfind("weir_sk_", 0) == 0);
  // No wait: the server sees the store changed and reads the keys again.

  auto missing = post_chat(serve.port(), request);
  CHECK(missing.status == 401);
  CHECK(body_json(missing)["error"]["type"] == "authentication_error");
  CHECK(body_json(missing)["error"]["message"].get<std::string>().find("Authorization: Bearer") != std::string::npos);
  auto wrong = post_chat(serve.port(), request, {{"Authorization", "Bearer weir_sk_wrong"}});
  CHECK(wrong.status == 401);
  CHECK(body_json(wrong)["error"]["code"] == "invalid_api_key");
  CHECK(post_chat(serve.port(), request, {{"Authorization", "Bearer " + key}}).status == 200);
  CHECK(http_request(serve.port(), "GET", "/healthz").status == 200);  // health needs no key
  CHECK(http_request(serve.port(), "GET", "/v1/models", {}, {{"Authorization", "Bearer " + key}}).status == 200);

  // The key text is never stored: only its hash and a short prefix.
  auto listed = json::parse(fixture.run_ok({"key", "list", "--json"}).out);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["prefix"] == key.substr(0, 12));
  CHECK(listed.dump().find(key) == std::string::npos);

  fixture.run_ok({"key", "revoke", "ci"});
  CHECK(post_chat(serve.port(), request).status == 200);  // no keys left, loopback: open again
  CHECK(fixture.home.run({"key", "revoke", "ci"}).exit_code == 3);
}

TEST_CASE("serve: public keys must name the full gateway id and lose every tool") {
  ServeFixture fixture;
  auto key = fixture.create_key({"web", "--public"});
  CHECK(key.rfind("weir_pk_", 0) == 0);
  auto id = fixture.gateway_id();
  ServeProcess serve(fixture.home);
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + key}};

  auto by_name = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}, auth);
  CHECK(by_name.status == 403);
  CHECK(body_json(by_name)["error"]["message"].get<std::string>().find("full id") != std::string::npos);

  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("ok")));
  json tools = json::array({{{"type", "function"}, {"function", {{"name", "lookup"}, {"parameters", {{"type", "object"}}}}}}});
  auto by_id = post_chat(serve.port(), {{"model", id}, {"prompt", "hi"}, {"tools", tools}, {"tool_choice", "auto"}}, auth);
  REQUIRE_MESSAGE(by_id.status == 200, by_id.body);
  auto upstream_body = fixture.upstream.requests().back().json_body;
  CHECK_FALSE(upstream_body.contains("tools"));
  CHECK_FALSE(upstream_body.contains("tool_choice"));

  CHECK(http_request(serve.port(), "GET", "/v1/models", {}, auth).status == 403);
  CHECK(http_request(serve.port(), "POST", "/v1/collections/search", R"({"collections":"x","query":"y"})", auth).status == 403);
  auto rows = fixture.logs(1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["metadata"]["api_key"] == "web");
}

TEST_CASE("serve: a key's rpm limit answers 429 with Retry-After") {
  ServeFixture fixture;
  auto key = fixture.create_key({"limited", "--rpm", "2"});
  ServeProcess serve(fixture.home);
  fixture.upstream.set_default(ScriptedResponse::json_body(200, chat_completion("ok")));
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + key}};
  json request = {{"model", "assistant"}, {"prompt", "hi"}};
  CHECK(post_chat(serve.port(), request, auth).status == 200);
  CHECK(post_chat(serve.port(), request, auth).status == 200);
  auto limited = post_chat(serve.port(), request, auth);
  CHECK(limited.status == 429);
  CHECK(body_json(limited)["error"]["type"] == "rate_limit_error");
  auto retry_after = std::stoi(limited.header("retry-after"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 60);
  CHECK(fixture.upstream.request_count() == 2);
}

TEST_CASE("serve: requests refused with 403 do not count toward a key's rpm") {
  ServeFixture fixture;
  auto key = fixture.create_key({"web", "--public", "--rpm", "2"});
  auto id = fixture.gateway_id();
  ServeProcess serve(fixture.home);
  CHECK(serve.wait_for_stderr("OpenAI-compatible API at " + serve.base_url() + "/v1"));
  fixture.upstream.set_default(ScriptedResponse::json_body(200, chat_completion("ok")));
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + key}};
  for (int refused = 0; refused < 3; ++refused)  // a public key must name the full id
    CHECK(post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}, auth).status == 403);
  CHECK(post_chat(serve.port(), {{"model", id}, {"prompt", "hi"}}, auth).status == 200);
  CHECK(post_chat(serve.port(), {{"model", id}, {"prompt", "hi"}}, auth).status == 200);
  CHECK(post_chat(serve.port(), {{"model", id}, {"prompt", "hi"}}, auth).status == 429);
}

TEST_CASE("serve: an expired key is refused") {
  ServeFixture fixture;
  auto key = fixture.create_key({"short", "--expires", "1h"});
  ServeProcess serve(fixture.home);
  auto auth = std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + key}};
  fixture.upstream.set_default(ScriptedResponse::json_body(200, chat_completion("ok")));
  CHECK(post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}, auth).status == 200);
  // Its hour passes: the store says it ended a second ago (the clock itself
  // is the unit tests' business, tests/unit/test_access_control.cpp).
  weir::Database(fixture.home.path() + "/weir.db")
      .prepare("UPDATE keys SET expires_at = ?1 WHERE name = 'short'")
      .bind(1, weir::now_milliseconds() - 1000)
      .run();
  auto reply = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}, auth);
  CHECK(reply.status == 401);
  CHECK(body_json(reply)["error"]["message"].get<std::string>().find("expired") != std::string::npos);
}

TEST_CASE("serve: a client that hangs up cancels the upstream request within 100 ms") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  for (bool stream : {true, false}) {
    CAPTURE(stream);
    // The upstream sends a little, then thinks in silence for 30 s.
    fixture.upstream.enqueue(ScriptedResponse::stalled({chunk::role(), chunk::content("hmm")}, 30s));
    RawConnection connection(serve.port());
    std::string body = json{{"model", "assistant"}, {"prompt", "hi"}, {"stream", stream}}.dump();
    auto sent_at = std::chrono::steady_clock::now();
    connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body);
    if (stream) REQUIRE(connection.read_until("hmm", 10s));
    // The upstream has sent what it will and gone silent: the call is under way.
    else REQUIRE(fixture.upstream.wait_for_stalls(2));
    auto closed_after = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent_at).count();
    connection.close();

    // The request log row says when weir gave up: its latency, less the time
    // the client stayed, is how long the cancellation took.
    json row;
    wait_for_store(fixture.home.path(), [&] {
      auto rows = fixture.logs();  // newest first
      if (!rows.empty() && rows[0]["status"] == "cancelled" && rows.size() == (stream ? 1u : 2u)) row = rows[0];
      return !row.is_null();
    });
    REQUIRE_MESSAGE(!row.is_null(), serve.stderr_text());
    auto cancel_delay = row["latency_ms"].get<double>() - closed_after;
    MESSAGE("cancelled " << cancel_delay << " ms after the client left");
    CHECK(cancel_delay < 100);
  }
}

TEST_CASE("serve: silent streams get keep-alive comments unless Sse-Stream-Options: no-ping") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home, {"--keep-alive", "0.2"});
  for (bool pings : {true, false}) {
    CAPTURE(pings);
    fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("slow"), chunk::finish("stop"), chunk::kDone}, 300ms));
    std::vector<std::pair<std::string, std::string>> headers;
    if (!pings) headers.emplace_back("Sse-Stream-Options", "no-ping");
    auto reply = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}, {"stream", true}}, headers);
    REQUIRE(reply.status == 200);
    CHECK((reply.body.find(": keep-alive\n\n") != std::string::npos) == pings);
    CHECK(sse_data(reply.body).back() == "[DONE]");
  }
}

TEST_CASE("serve: models lists gateways and the models they use") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  auto reply = http_request(serve.port(), "GET", "/v1/models");
  REQUIRE(reply.status == 200);
  auto list = body_json(reply);
  CHECK(list["object"] == "list");
  REQUIRE(list["data"].size() == 2);
  CHECK(list["data"][0]["id"] == "assistant");
  CHECK(list["data"][0]["object"] == "model");
  CHECK(list["data"][0]["gateway_id"] == fixture.gateway_id());
  CHECK(list["data"][1]["id"] == "@fake/fake-model");
}

TEST_CASE("serve: collection search over HTTP matches the CLI's JSON") {
  ServeFixture fixture;
  fixture.run_ok({"collection", "create", "notes"});
  auto imported = fixture.home.run(
      {"collection", "import", "notes", "-"},
      R"({"docid": "tea", "text": "Green tea is steeped at 80 degrees for two minutes."}
{"docid": "coffee", "text": "Espresso is brewed with pressurised water through fine coffee grounds."}
)");
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  ServeProcess serve(fixture.home);
  auto reply = http_request(serve.port(), "POST", "/v1/collections/search",
                            R"({"collections": ["notes"], "query": "how hot for green tea", "top": 1})");
  REQUIRE_MESSAGE(reply.status == 200, reply.body);
  auto results = body_json(reply)["results"];
  REQUIRE(results.size() == 1);
  CHECK(results[0]["docid"] == "tea");
  auto cli = json::parse(fixture.run_ok({"collection", "search", "notes", "how hot for green tea", "--top", "1", "--json"}).out);
  CHECK(cli["results"] == results);

  auto bad_top = http_request(serve.port(), "POST", "/v1/collections/search", R"({"collections": "notes", "query": "x", "top": 500})");
  CHECK(bad_top.status == 400);
  auto unknown_field = http_request(serve.port(), "POST", "/v1/collections/search", R"({"collections": "notes", "q": "x"})");
  CHECK(unknown_field.status == 400);
  auto missing = http_request(serve.port(), "POST", "/v1/collections/search", R"({"collections": "nothing", "query": "x"})");
  CHECK(missing.status == 404);
}

TEST_CASE("serve: SIGTERM lets a stream in flight finish, then exits 0 with the request logged") {
  ServeFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("one "), chunk::content("two "), chunk::content("three"), chunk::finish("stop"),
       chunk::kDone},
      250ms));
  auto serve = std::make_unique<ServeProcess>(fixture.home);
  RawConnection connection(serve->port());
  std::string body = json{{"model", "assistant"}, {"prompt", "count"}, {"stream", true}}.dump();
  connection.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n\r\n" + body);
  REQUIRE(connection.read_until("one ", 10s));
  serve->send_signal(SIGTERM);
  CHECK(connection.read_until("[DONE]", 10s));
  CHECK(connection.received().find("three") != std::string::npos);
  CHECK(serve->wait() == 0);
  // New connections are refused once it stopped.
  CHECK_THROWS(RawConnection(serve->port()));
  auto rows = fixture.logs();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["status"] == "ok");
}

TEST_CASE("serve: refuses a non-loopback bind without keys; binds with one") {
  ServeFixture fixture;
  auto refused = fixture.home.run({"serve", "--host", "0.0.0.0", "--port", "0"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("weir key create") != std::string::npos);
  fixture.create_key({"lan"});
  ServeProcess serve(fixture.home, {"--host", "0.0.0.0"});
  CHECK(http_request(serve.port(), "GET", "/v1/models").status == 401);
}

TEST_CASE("serve: a query_function gateway streams servertool chunks; for a public key it injects instead") {
  ServeFixture fixture;
  fixture.run_ok({"collection", "create", "docs"});
  auto imported = fixture.home.run({"collection", "import", "docs", "-"},
                                   R"({"docid": "keys", "text": "API keys are rotated every ninety days."})" "\n");
  REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  fixture.run_ok({"gateway", "create", "searcher", "--provider", "fake", "--model", "fake-model", "--collection", "docs",
                  "--strategy", "query_function", "--min-score", "0.01"});
  ServeProcess serve(fixture.home);

  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_1", "docs_search", "{\"search_"),
                                                  chunk::tool_call(0, "", "", "terms\": [\"key rotation\"]}"),
                                                  chunk::finish("tool_calls"), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("Every ninety days."), chunk::finish("stop"),
                                                  chunk::kDone}));
  auto reply = post_chat(serve.port(), {{"model", "searcher"}, {"prompt", "How often are keys rotated?"}, {"stream", true}});
  REQUIRE(reply.status == 200);
  std::vector<std::string> states;
  std::string text;
  for (const auto& payload : sse_data(reply.body)) {
    if (payload == "[DONE]") continue;
    auto event = json::parse(payload);
    if (event.contains("servertool")) {
      CHECK(event["choices"] == json::array());  // no answer text in activity chunks
      CHECK(event["servertool"]["name"] == "docs_search");
      states.push_back(event["servertool"]["state"].get<std::string>());
      continue;
    }
    auto& delta = event["choices"][0]["delta"];
    CHECK_FALSE(delta.contains("tool_calls"));  // the server-side call never reaches the client
    if (delta.contains("content")) text += delta["content"].get<std::string>();
  }
  CHECK(states == std::vector<std::string>{"started", "succeeded"});
  CHECK(text == "Every ninety days.");

  // A public key: no search tool is offered; the documents are injected.
  auto key = fixture.create_key({"app", "--public"});
  auto id = json::parse(fixture.run_ok({"gateway", "show", "searcher", "--json"}).out)["id"].get<std::string>();
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Ninety days.", false));
  auto public_reply = post_chat(serve.port(), {{"model", id}, {"prompt", "How often are keys rotated?"}},
                                {{"Authorization", "Bearer " + key}});
  REQUIRE_MESSAGE(public_reply.status == 200, public_reply.body);
  auto upstream_body = fixture.upstream.requests().back().json_body;
  CHECK_FALSE(upstream_body.contains("tools"));
  CHECK(upstream_body["messages"].back()["content"].get<std::string>().find("ninety days") != std::string::npos);
}

TEST_CASE("serve: client tools pass through; the turn ends with finish_reason tool_calls") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_9", "get_weather", "{\"city\":"),
                                                  chunk::tool_call(0, "", "", "\"Oslo\"}"), chunk::finish("tool_calls"),
                                                  chunk::kDone}));
  json tools = json::array({{{"type", "function"},
                             {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}});
  auto reply = post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "weather?"}, {"tools", tools}, {"stream", true}});
  REQUIRE(reply.status == 200);
  CHECK(fixture.upstream.requests().back().json_body["tools"] == tools);
  std::string arguments, finish;
  for (const auto& payload : sse_data(reply.body)) {
    if (payload == "[DONE]") continue;
    auto choice = json::parse(payload)["choices"][0];
    for (const auto& call : choice["delta"].value("tool_calls", json::array())) {
      if (call.contains("id")) CHECK(call["id"] == "call_9");
      arguments += call["function"]["arguments"].get<std::string>();
    }
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"].get<std::string>();
  }
  CHECK(arguments == "{\"city\":\"Oslo\"}");
  CHECK(finish == "tool_calls");
}

namespace {
// The value of one sample line of a Prometheus exposition ("name{labels}"),
// or -1 when the series is absent.
double metric(const std::string& exposition, const std::string& series) {
  auto line_start = exposition.find("\n" + series + " ");
  if (line_start == std::string::npos) return -1;
  return std::stod(exposition.substr(line_start + series.size() + 2));
}
}  // namespace

TEST_CASE("serve: /metrics counts requests, tokens, latency, upstream errors and refusals, behind the keys") {
  ServeFixture fixture;
  ServeProcess serve(fixture.home);
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("ok", "stop", 10, 5)));
  REQUIRE(post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}).status == 200);
  fixture.upstream.enqueue(ScriptedResponse::sse(
      {chunk::role(), chunk::content("Hi"), chunk::finish("stop"), chunk::usage(7, 2), chunk::kDone}));
  REQUIRE(post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}, {"stream", true}}).status == 200);
  fixture.upstream.enqueue(ScriptedResponse::json_body(500, {{"error", {{"message", "boom"}}}}));
  REQUIRE(post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}).status == 502);

  auto reply = http_request(serve.port(), "GET", "/metrics");
  REQUIRE(reply.status == 200);
  CHECK(reply.header("content-type").find("text/plain; version=0.0.4") == 0);
  const auto& text = reply.body;
  CHECK(text.find("# TYPE weir_requests_total counter") != std::string::npos);
  std::string route = R"(gateway="assistant",provider="fake",model="fake-model")";
  CHECK(metric(text, R"(weir_requests_total{front_door="http",)" + route + R"(,status="ok"})") == 2);
  CHECK(metric(text, R"(weir_requests_total{front_door="http",)" + route + R"(,status="error"})") == 1);
  CHECK(metric(text, "weir_tokens_total{" + route + R"(,kind="prompt"})") == 17);
  CHECK(metric(text, "weir_tokens_total{" + route + R"(,kind="completion"})") == 7);
  CHECK(metric(text, R"(weir_upstream_errors_total{provider="fake",status="500"})") == 1);
  CHECK(metric(text, R"(weir_request_duration_seconds_count{gateway="assistant"})") == 3);
  CHECK(metric(text, R"(weir_request_duration_seconds_bucket{gateway="assistant",le="+Inf"})") == 3);
  CHECK(metric(text, R"(weir_time_to_first_token_seconds_count{gateway="assistant"})") == 2);

  // Behind the keys: none without one, not for a public key; a refusal of a
  // key over its rpm is counted though it never reached the engine.
  auto key = fixture.create_key({"ops"});
  auto limited_key = fixture.create_key({"batch", "--rpm", "1"});
  auto public_key = fixture.create_key({"web", "--public"});
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + key}};
  std::vector<std::pair<std::string, std::string>> limited = {{"Authorization", "Bearer " + limited_key}};
  CHECK(http_request(serve.port(), "GET", "/metrics").status == 401);
  CHECK(http_request(serve.port(), "GET", "/metrics", {}, {{"Authorization", "Bearer " + public_key}}).status == 403);
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("ok", "stop", 10, 5)));
  CHECK(post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}, limited).status == 200);
  CHECK(post_chat(serve.port(), {{"model", "assistant"}, {"prompt", "hi"}}, limited).status == 429);
  auto after = http_request(serve.port(), "GET", "/metrics", {}, auth);
  REQUIRE(after.status == 200);
  CHECK(metric(after.body, R"(weir_limit_refusals_total{gateway="",code="rate_limit_exceeded"})") == 1);
  CHECK(metric(after.body, R"(weir_requests_total{front_door="http",)" + route + R"(,status="ok"})") == 3);
}

TEST_CASE("serve: /v1/embeddings from the local embedder, a collection's, or a provider's; as floats or base64") {
  ServeFixture fixture;
  fixture.run_ok({"collection", "create", "handbook", "--dimension", "128"});
  ServeProcess serve(fixture.home);
  auto embed = [&](const json& body) { return http_request(serve.port(), "POST", "/v1/embeddings", body.dump()); };

  auto local = embed({{"model", "local"}, {"input", {"key rotation", "holidays"}}, {"dimensions", 64}});
  REQUIRE_MESSAGE(local.status == 200, local.body);
  auto body = body_json(local);
  CHECK(body["object"] == "list");
  REQUIRE(body["data"].size() == 2);
  CHECK(body["data"][1]["index"] == 1);
  auto vector = body["data"][0]["embedding"].get<std::vector<float>>();
  CHECK(vector.size() == 64);
  double norm = 0;
  for (float value : vector) norm += static_cast<double>(value) * value;
  CHECK(norm == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(body["usage"]["prompt_tokens"].get<long long>() > 0);

  // base64 is the same floats' little-endian bytes.
  auto encoded = body_json(embed({{"model", "local"}, {"input", "key rotation"}, {"dimensions", 64}, {"encoding_format", "base64"}}));
  std::string bytes(vector.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), vector.data(), bytes.size());
  CHECK(encoded["data"][0]["embedding"] == weir::base64_encode(bytes));

  // A collection's embedder and dimension.
  auto collection = body_json(embed({{"model", "handbook"}, {"input", "key rotation"}}));
  CHECK(collection["data"][0]["embedding"].size() == 128);
  CHECK(embed({{"model", "handbook"}, {"input", "x"}, {"dimensions", 64}}).status == 400);

  // A provider's: passed through to its /embeddings.
  fixture.upstream.answer_posts_matching("/v1/embeddings");
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      200, {{"object", "list"},
            {"data", json::array({{{"object", "embedding"}, {"index", 0}, {"embedding", {0.6, 0.8}}}})},
            {"model", "fake-embedder"}}));
  auto remote = embed({{"model", "@fake/fake-embedder"}, {"input", "hello"}});
  REQUIRE_MESSAGE(remote.status == 200, remote.body);
  CHECK(body_json(remote)["data"][0]["embedding"].size() == 2);
  CHECK(fixture.upstream.requests().back().path.find("/embeddings") != std::string::npos);
  CHECK(fixture.upstream.requests().back().json_body["input"][0] == "hello");

  auto unknown = embed({{"model", "nothing"}, {"input", "x"}});
  CHECK(unknown.status == 404);
  CHECK(body_json(unknown)["error"]["message"].get<std::string>().find("@PROVIDER/MODEL") != std::string::npos);
  CHECK(embed({{"model", "local"}, {"input", {1, 2, 3}}}).status == 400);
  CHECK(embed({{"model", "local"}, {"input", json::array()}}).status == 400);
  CHECK(embed({{"model", "local"}, {"input", ""}}).status == 400);
  CHECK(embed({{"model", "local"}, {"input", "x"}, {"encoding_format", "int8"}}).status == 400);

  auto public_key = fixture.create_key({"web", "--public"});
  CHECK(http_request(serve.port(), "POST", "/v1/embeddings", json({{"model", "local"}, {"input", "x"}}).dump(),
                     {{"Authorization", "Bearer " + public_key}})
            .status == 403);
}

TEST_CASE("serve: public keys reach neither the Batch API's files nor its batches") {
  ServeFixture fixture;
  auto public_key = fixture.create_key({"web", "--public"});
  ServeProcess serve(fixture.home);
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + public_key}};
  CHECK(http_request(serve.port(), "GET", "/v1/batches", {}, auth).status == 403);
  CHECK(http_request(serve.port(), "GET", "/v1/batches/batch_x", {}, auth).status == 403);
  CHECK(http_request(serve.port(), "POST", "/v1/batches", R"({"input_file_id":"file-x"})", auth).status == 403);
  CHECK(http_request(serve.port(), "GET", "/v1/files/file-x/content", {}, auth).status == 403);
  auto upload = http_request(serve.port(), "POST", "/v1/files", "x", auth);
  CHECK(upload.status == 403);
  CHECK(body_json(upload)["error"]["message"].get<std::string>().find("Batch API") != std::string::npos);
}
