// The fault suite for hostile input and misbehaving upstreams (issue 23), on
// the built binary: the same hostile JSON (deep nesting, numbers beyond a
// double, invalid UTF-8, a key given twice) through every reader — JSONL
// import, `weir serve`'s body reader, `weir mcp serve` on stdio — and
// upstreams that answer 200 in the wrong shape or 429 with a wait.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace chunk = openai_chunk;

namespace {

std::string nested_array(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The hostile JSON texts every reader must refuse, by name.
struct Hostile {
  std::string name;
  std::string text;  // a JSON value, spliced into a message as a field's value
  std::string says;
};

std::vector<Hostile> hostile_values() {
  return {
      {"deep", nested_array(100'000), "nested more than 128 levels"},
      {"huge number", "1e999", "the number 1e999"},
      {"invalid UTF-8", "\"caf\xe9\"", "invalid UTF-8"},
  };
}

struct Fixture {
  FakeUpstream upstream;
  WeirHome home;

  Fixture() {
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "g", "--provider", "fake", "--model", "fake-model"});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
};

}  // namespace

TEST_CASE("hostile import: each bad line is reported by number, every good line lands, exit 0") {
  Fixture fixture;
  fixture.run_ok({"collection", "create", "kb"});
  std::string jsonl = json({{"docid", "first"}, {"text", "the first good line"}}).dump() + "\n" +             // 1
                      R"({"docid":"deep","text":"t","__tags":)" + nested_array(100'000) + "}\n" +            // 2
                      R"({"docid":"huge","text":"t","__meta":{"x":1e999}})" + "\n" +                         // 3
                      R"({"docid":"twice","text":"t","docid":"other"})" + "\n" +                             // 4
                      "{\"docid\":\"utf\",\"text\":\"caf\xe9\"}\n" +                                          // 5
                      json({{"docid", "last"}, {"text", "the last good line"}}).dump() + "\n";                // 6
  auto result = fixture.home.run({"--json", "collection", "import", "kb", "-"}, jsonl);
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);  // not 139, not "internal error"
  CHECK_FALSE(contains(result.err, "internal error"));
  auto report = json::parse(result.out);
  CHECK(report["added"] == 2);
  CHECK(report["rejected"] == 4);
  std::map<int, std::string> reasons;
  for (const auto& error : report["errors"]) reasons[error["line"].get<int>()] = error["reason"];
  CHECK(contains(reasons[2], "nested more than 128 levels"));
  CHECK(contains(reasons[3], "the number 1e999"));
  CHECK(contains(reasons[4], "\"docid\" appears twice"));
  CHECK(reasons[5].rfind("invalid UTF-8", 0) == 0);
  auto shown = json::parse(fixture.run_ok({"--json", "collection", "show", "kb"}).out);
  CHECK(shown["documents"] == 2);
}

TEST_CASE("hostile import: lines that repeat a docid are counted as superseded, not lost from the summary") {
  Fixture fixture;
  fixture.run_ok({"collection", "create", "kb"});
  std::string jsonl;
  for (int version = 1; version <= 4; ++version)
    jsonl += json({{"docid", "same"}, {"text", "version " + std::to_string(version)}}).dump() + "\n";
  auto report = json::parse(fixture.run_ok({"--json", "collection", "import", "kb", "-"}, jsonl).out);
  CHECK(report["added"] == 1);
  CHECK(report["superseded"] == 3);
  auto plain = fixture.run_ok({"collection", "import", "kb", "-"}, jsonl);
  CHECK(contains(plain.out, "superseded 3 (a later line had the same docid)"));
  CHECK(json::parse(fixture.run_ok({"--json", "doc", "get", "kb", "same"}).out)["text"] == "version 4");
}

TEST_CASE("hostile keys: --rpm 0 is refused with the same range as other bad values") {
  Fixture fixture;
  for (const char* rpm : {"0", "-1", "100001"}) {
    auto result = fixture.home.run({"key", "create", "k", "--rpm", rpm});
    INFO(rpm);
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "--rpm must be between 1 and 100000"));
  }
  CHECK(fixture.home.run({"key", "create", "k", "--rpm", "1"}).exit_code == 0);
  auto keys = json::parse(fixture.run_ok({"--json", "key", "list"}).out);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["rpm"] == 1);
}

TEST_CASE("hostile HTTP bodies are the caller's 400 with an OpenAI error object, whatever the field") {
  Fixture fixture;
  ServeProcess serve(fixture.home);
  auto expect_400 = [&](const std::string& path, const std::string& body, const std::string& says) {
    auto reply = http_request(serve.port(), "POST", path, body);
    INFO(path, " ", body.substr(0, 120));
    CHECK(reply.status == 400);
    auto error = body_json(reply)["error"];
    CHECK(error["type"] == "invalid_request_error");
    CHECK(contains(error["message"].get<std::string>(), says));
  };
  for (const char* field : {"temperature", "max_tokens", "metadata", "user"}) {
    expect_400("/v1/chat/completions",
               std::string(R"({"model":"g","messages":[{"role":"user","content":"hi"}],")") + field + R"(":1e999})",
               "the number 1e999");
  }
  expect_400("/v1/collections/search", R"({"collections":["kb"],"query":"x","top":1e999})", "the number 1e999");
  for (const auto& hostile : hostile_values())
    expect_400("/v1/chat/completions", R"({"model":"g","metadata":{"x":)" + hostile.text + "}}", hostile.says);
  expect_400("/v1/chat/completions", R"({"model":"g","model":"other","messages":[]})", "\"model\" appears twice");
  CHECK(fixture.upstream.request_count() == 0);
  // The server is still answering.
  CHECK(http_request(serve.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("hostile MCP lines on stdio: -32700 (or -32600 for depth) with id null, and the server keeps serving") {
  Fixture fixture;
  McpSession session(fixture.home, {"--gateway", "g"});
  session.initialize();
  struct Line {
    std::string text;
    int code;
    std::string says;
  };
  std::vector<Line> lines = {
      {R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1e999}})", -32700, "the number 1e999"},
      {"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"p\xffing\"}", -32700, "invalid UTF-8"},
      {R"({"jsonrpc":"2.0","id":3,"id":4,"method":"ping"})", -32700, "\"id\" appears twice"},
      {R"({"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":)" + nested_array(100'000) + "}}", -32600,
       "nested more than 128 levels"},
  };
  int next_id = 100;
  for (const auto& line : lines) {
    session.send_raw(line.text + "\n");
    auto answer = session.wait_for([&](const json& message) {
      return message.contains("error") && message["id"].is_null() &&
             contains(message["error"]["message"].get<std::string>(), line.says);
    });
    REQUIRE_MESSAGE(answer, line.says);
    CHECK((*answer)["error"]["code"] == line.code);
    CHECK(session.request("ping", nullptr, next_id++).contains("result"));
  }
  CHECK(session.invalid_lines().empty());
}

TEST_CASE("a 200 of the wrong shape fails `weir chat` (exit 4), prints nothing and saves no turn") {
  Fixture fixture;
  SUBCASE("whole body {}") {
    fixture.upstream.enqueue(ScriptedResponse::json_body(200, json::object()));
    auto result = fixture.home.run({"chat", "g", "--no-stream", "--session", "s", "hi"});
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(contains(result.err, "not a chat completion"));
  }
  SUBCASE("whole body {\"choices\":\"x\"}") {
    fixture.upstream.enqueue(ScriptedResponse::json_body(200, {{"choices", "x"}}));
    auto result = fixture.home.run({"chat", "g", "--no-stream", "--session", "s", "hi"});
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(contains(result.err, "\"choices\" is string, not a list"));
  }
  SUBCASE("streamed {\"choices\":\"x\"}") {
    fixture.upstream.enqueue(ScriptedResponse::sse({R"({"choices":"x"})", chunk::kDone}));
    auto result = fixture.home.run({"chat", "g", "--session", "s", "hi"});
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(contains(result.err, "\"choices\" is string"));
  }
  // Nothing was saved: the next turn starts the session afresh.
  fixture.upstream.enqueue(ScriptedResponse::text_answer("fine", true));
  fixture.run_ok({"chat", "g", "--session", "s", "again"});
  auto messages = fixture.upstream.requests().back().json_body["messages"];
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["content"] == "again");
}

TEST_CASE("a 200 of the wrong shape through `weir serve` is a 502, not an empty success") {
  Fixture fixture;
  ServeProcess serve(fixture.home);
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, json::object()));
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", R"({"model":"g","prompt":"hi"})");
  CHECK(reply.status == 502);
  CHECK(contains(body_json(reply)["error"]["message"].get<std::string>(), "not a chat completion"));
}

TEST_CASE("an upstream 429 through `weir serve` passes its Retry-After on") {
  Fixture fixture;
  ServeProcess serve(fixture.home);
  fixture.upstream.enqueue(
      ScriptedResponse::json_body(429, {{"error", {{"message", "quota exceeded"}}}}, {{"Retry-After", "7"}}));
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", R"({"model":"g","prompt":"hi"})");
  CHECK(reply.status == 429);
  CHECK(reply.header("retry-after") == "7");
  CHECK(body_json(reply)["error"]["type"] == "rate_limit_error");
}
