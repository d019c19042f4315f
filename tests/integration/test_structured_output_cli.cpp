// Structured output end to end against fake upstreams: JSON healing in the
// engine (a fenced block, a trailing comma, a missing brace, a schema
// violation asked again with its errors, invalid JSON on every try), every
// attempt billed, `weir chat --schema`, `json_only` over HTTP streamed and
// not, structuredContent over MCP, and the schema forwarded natively to
// OpenAI (response_format), Gemini (responseSchema) and Anthropic (a forced
// tool whose input becomes the answer).
#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/store/database.hpp"
#include "core/store/request_log.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/mcp_session.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

const json kPersonSchema = {
    {"type", "object"},
    {"properties", {{"name", {{"type", "string"}}}, {"age", {{"type", "integer"}, {"minimum", 0}}}}},
    {"required", {"name", "age"}},
    {"additionalProperties", false}};

struct StructuredFixture {
  FakeUpstream upstream;
  WeirHome home;

  StructuredFixture() { run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"}); }
  ProcessResult run_ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  std::string schema_file() {
    std::string path = home.path() + "/person.schema.json";
    std::ofstream(path) << kPersonSchema.dump(2);
    return path;
  }
  // A gateway whose answers must match kPersonSchema.
  void person_gateway(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> arguments = {"gateway",  "create",   "people",        "--provider",     "fake",
                                          "--model",  "fake-model", "--response-schema", schema_file()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    run_ok(arguments);
  }
  weir::ChatResult run_engine(const std::string& target, bool stream = false, json overrides = json::object(),
                              std::vector<weir::StreamDelta>* deltas = nullptr) {
    weir::Database database(home.path() + "/weir.db");
    weir::Engine engine(database, weir::resolve_paths(home.path()));
    weir::ChatInput input;
    input.target = target;
    input.stream = stream;
    input.overrides = std::move(overrides);
    input.messages = json::array({{{"role", "user"}, {"content", "Who wrote the first program?"}}});
    return engine.run(
        input, [&](const weir::StreamDelta& delta) { if (deltas) deltas->push_back(delta); }, weir::CancelToken());
  }
  json body(size_t index) const { return upstream.requests().at(index).json_body; }
};

int count_lines_starting(const json& lines, const std::string& prefix) {
  int count = 0;
  for (const auto& line : lines)
    if (line.value("description", "").rfind(prefix, 0) == 0) ++count;
  return count;
}

const json kAda = {{"name", "Ada"}, {"age", 36}};

}  // namespace

TEST_CASE("structured: a fenced block, a trailing comma and a missing closing brace are healed without asking again") {
  StructuredFixture fixture;
  fixture.person_gateway();
  for (const std::string answer : {"Here it is:\n```json\n{\"name\": \"Ada\", \"age\": 36}\n```",
                                   "{\"name\": \"Ada\", \"age\": 36,}", "{\"name\": \"Ada\", \"age\": 36"}) {
    CAPTURE(answer);
    size_t before = fixture.upstream.request_count();
    fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion(answer, "stop", 40, 12)));
    auto result = fixture.run_engine("people");
    CHECK(fixture.upstream.request_count() == before + 1);
    CHECK(result.structured == kAda);
    CHECK(weir::read_json(result.completion.content).value == kAda);  // the answer is the JSON alone
    CHECK(result.response["choices"][0]["message"]["content"] == result.completion.content);
  }
  // The model was told the schema and the service got it natively (OpenAI response_format).
  json body = fixture.body(0);
  CHECK(body["messages"][0]["role"] == "system");
  CHECK(body["messages"][0]["content"].get<std::string>().find("\"additionalProperties\":false") != std::string::npos);
  CHECK(body["response_format"] ==
        json{{"type", "json_schema"}, {"json_schema", {{"name", "response"}, {"schema", kPersonSchema}}}});
}

TEST_CASE("structured: masked input comes back in the structured value, and output masking is checked again") {
  StructuredFixture fixture;
  json contact_schema = {{"type", "object"},
                         {"properties", {{"to", {{"type", "string"}}}, {"cc", {{"type", "string"}}}}},
                         {"required", {"to"}}};
  json gateway = {{"name", "mailer"},
                  {"provider", "fake"},
                  {"model", "fake-model"},
                  {"response_schema", contact_schema},
                  {"guardrails", json::array({{{"name", "pii"}, {"type", "pii"}, {"kinds", {"email"}}, {"action", "mask"}}})}};
  fixture.run_ok({"gateway", "apply", "-f", "-"}, gateway.dump());
  // The model saw [EMAIL_1] and repeats it; it adds an address of its own, which the output guard masks.
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      200, chat_completion(R"({"to": "[EMAIL_1]", "cc": "eve@corp.example"})", "stop", 40, 12)));
  weir::Database database(fixture.home.path() + "/weir.db");
  weir::Engine engine(database, weir::resolve_paths(fixture.home.path()));
  weir::ChatInput input;
  input.target = "mailer";
  input.messages = json::array({{{"role", "user"}, {"content", "Write to bob@example.com"}}});
  auto result = engine.run(input, [](const weir::StreamDelta&) {}, weir::CancelToken());
  CHECK(fixture.body(0).dump().find("bob@example.com") == std::string::npos);
  CHECK(result.structured["to"] == "bob@example.com");
  CHECK(result.structured["cc"].get<std::string>().find("eve@corp.example") == std::string::npos);
  CHECK(weir::read_json(result.completion.content).value == result.structured);
}

TEST_CASE("structured: schema-violating JSON is asked again with its errors, and each attempt is billed") {
  StructuredFixture fixture;
  fixture.person_gateway();
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion(R"({"name": "Ada", "age": "36"})", "stop", 40, 12)));
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion(R"({"name": "Ada", "age": 36})", "stop", 70, 10)));
  auto result = fixture.run_engine("people");
  REQUIRE(fixture.upstream.request_count() == 2);
  CHECK(result.structured == kAda);

  // The second request holds the refused answer and a user message quoting its errors.
  json messages = fixture.body(1)["messages"];
  REQUIRE(messages.size() == 4);
  CHECK(messages[2] == json{{"role", "assistant"}, {"content", R"({"name": "Ada", "age": "36"})"}});
  CHECK(messages[3]["role"] == "user");
  std::string healing = messages[3]["content"];
  CHECK(healing.find("/age") != std::string::npos);

  // One usage line set per attempt; the answer's usage is their sum.
  json lines = result.response["generation_context"]["generated_usage"];
  CHECK(count_lines_starting(lines, "structured output attempt 1 (refused): ") == 2);  // input and output tokens
  CHECK(count_lines_starting(lines, "chat completion: ") == 2);
  CHECK(result.response["usage"]["prompt_tokens"] == 110);
  CHECK(result.response["usage"]["completion_tokens"] == 22);
}

TEST_CASE("structured: invalid JSON on every try is an upstream error quoting the errors, all attempts logged") {
  StructuredFixture fixture;
  fixture.person_gateway({"--healing-attempts", "2"});
  for (int attempt = 0; attempt < 2; ++attempt)
    fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion(R"({"name": 7, "age": 36})", "stop", 30, 9)));
  auto error = expect_error([&] { fixture.run_engine("people"); });
  CHECK(error.kind() == weir::ErrorKind::upstream);
  CHECK(error.code() == "json_validation_failed");
  CHECK(std::string(error.what()).find("after 2 attempts") != std::string::npos);
  CHECK(std::string(error.what()).find("/name") != std::string::npos);
  CHECK(fixture.upstream.request_count() == 2);

  weir::Database database(fixture.home.path() + "/weir.db");
  auto rows = weir::RequestLog(database).recent(1);
  REQUIRE(!rows.empty());
  CHECK(rows.front().status == "error");
  CHECK(count_lines_starting(rows.front().usage_lines, "structured output attempt 1 (refused)") == 2);
  CHECK(count_lines_starting(rows.front().usage_lines, "structured output attempt 2 (refused)") == 2);

  // The CLI exits 4 (upstream) with the same message.
  for (int attempt = 0; attempt < 2; ++attempt)
    fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("no JSON at all", "stop", 30, 9)));
  auto cli = fixture.home.run({"chat", "people", "--no-stream", "Who?"});
  CHECK(cli.exit_code == 4);
  CHECK(cli.err.find("no JSON value") != std::string::npos);
}

TEST_CASE("structured: a streamed answer is held per attempt and emitted once, validated") {
  StructuredFixture fixture;
  fixture.person_gateway();
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("{\"name\": \"Ada\", "),
                                                  chunk::content("\"age\": -1}"), chunk::finish("stop"),
                                                  chunk::usage(10, 5), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("{\"name\": \"Ada\", "),
                                                  chunk::content("\"age\": 36}"), chunk::finish("stop"),
                                                  chunk::usage(20, 5), chunk::kDone}));
  std::vector<weir::StreamDelta> deltas;
  auto result = fixture.run_engine("people", true, json::object(), &deltas);
  std::vector<std::string> contents;
  for (const auto& delta : deltas)
    if (!delta.content.empty()) contents.push_back(delta.content);
  CHECK(contents == std::vector<std::string>{"{\"name\": \"Ada\", \"age\": 36}"});
  CHECK(result.structured == kAda);
}

TEST_CASE("structured: max_attempts outside 1..10 is a usage error before anything is sent") {
  StructuredFixture fixture;
  fixture.run_ok({"gateway", "create", "free", "--provider", "fake", "--model", "fake-model"});
  json format = {{"type", "json_schema"},
                 {"json_schema", {{"schema", kPersonSchema}, {"healing_options", {{"max_attempts", 11}}}}}};
  auto error = expect_error([&] { fixture.run_engine("free", false, {{"response_format", format}}); });
  CHECK(error.kind() == weir::ErrorKind::usage);
  CHECK(fixture.upstream.request_count() == 0);
  auto refused = fixture.home.run({"gateway", "create", "bad", "--provider", "fake", "--model", "m",
                                   "--healing-attempts", "0"});
  CHECK(refused.exit_code == 2);
}

TEST_CASE("structured: weir chat --schema prints the validated JSON (a file or inline)") {
  StructuredFixture fixture;
  fixture.run_ok({"gateway", "create", "free", "--provider", "fake", "--model", "fake-model"});
  fixture.upstream.enqueue(ScriptedResponse::text_answer("Sure:\n```json\n{\"name\": \"Ada\", \"age\": 36,}\n```", true));
  auto result = fixture.run_ok({"chat", "free", "--schema", fixture.schema_file(), "Who?"});
  CHECK(result.out == "{\"name\": \"Ada\", \"age\": 36}\n");
  CHECK(fixture.body(0)["response_format"]["json_schema"]["schema"] == kPersonSchema);

  fixture.upstream.enqueue(ScriptedResponse::text_answer("[1, 2, 3]", true));
  auto inline_schema = fixture.run_ok({"chat", "free", "--schema", R"({"type": "array", "items": {"type": "integer"}})", "Count."});
  CHECK(inline_schema.out == "[1, 2, 3]\n");

  auto missing = fixture.home.run({"chat", "free", "--schema", "/nonexistent/schema.json", "Who?"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("--schema") != std::string::npos);
}

TEST_CASE("structured: json_only over HTTP is the JSON itself, streamed as one event then [DONE]") {
  StructuredFixture fixture;
  fixture.person_gateway({"--json-only"});
  ServeProcess serve(fixture.home);
  json request = {{"model", "people"}, {"messages", json::array({{{"role", "user"}, {"content", "Who?"}}})}};

  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("```json\n{\"name\": \"Ada\", \"age\": 36}\n```")));
  auto plain = http_request(serve.port(), "POST", "/v1/chat/completions", request.dump(),
                            {{"Content-Type", "application/json"}});
  CHECK(plain.status == 200);
  CHECK(plain.header("content-type").find("application/json") == 0);
  CHECK(weir::read_json(plain.body).value == kAda);

  request["stream"] = true;
  fixture.upstream.enqueue(ScriptedResponse::text_answer("{\"name\": \"Ada\", \"age\": 36}", true));
  auto streamed = http_request(serve.port(), "POST", "/v1/chat/completions", request.dump(),
                               {{"Content-Type", "application/json"}});
  CHECK(streamed.status == 200);
  CHECK(streamed.body == "data: {\"age\":36,\"name\":\"Ada\"}\n\ndata: [DONE]\n\n");

  // Without json_only the answer is a chat.completion whose content is the JSON.
  request["stream"] = false;
  request["json_only"] = false;
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("{\"name\": \"Ada\", \"age\": 36}")));
  auto completion = http_request(serve.port(), "POST", "/v1/chat/completions", request.dump(),
                                 {{"Content-Type", "application/json"}});
  json object = weir::read_json(completion.body).value;
  CHECK(object["object"] == "chat.completion");
  CHECK(weir::read_json(object["choices"][0]["message"]["content"].get<std::string>()).value == kAda);
}

TEST_CASE("structured: a response_format json_object request over HTTP is healed too") {
  StructuredFixture fixture;
  fixture.run_ok({"gateway", "create", "free", "--provider", "fake", "--model", "fake-model"});
  ServeProcess serve(fixture.home);
  json request = {{"model", "free"},
                  {"messages", json::array({{{"role", "user"}, {"content", "Who?"}}})},
                  {"response_format", {{"type", "json_object"}}}};
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("The answer is {\"name\": \"Ada\"}")));
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", request.dump(),
                            {{"Content-Type", "application/json"}});
  REQUIRE(reply.status == 200);
  json object = weir::read_json(reply.body).value;
  CHECK(object["choices"][0]["message"]["content"] == "{\"name\": \"Ada\"}");
  CHECK(fixture.body(0)["response_format"] == json{{"type", "json_object"}});

  // Never an object, even when asked again: 502 with the error's code.
  request["response_format"] = {{"type", "json_schema"},
                                {"json_schema", {{"schema", kPersonSchema}, {"healing_options", {{"max_attempts", 2}}}}}};
  for (int attempt = 0; attempt < 2; ++attempt)
    fixture.upstream.enqueue(ScriptedResponse::json_body(200, chat_completion("[\"Ada\"]")));
  auto failed = http_request(serve.port(), "POST", "/v1/chat/completions", request.dump(),
                             {{"Content-Type", "application/json"}});
  CHECK(failed.status == 502);
  json error = weir::read_json(failed.body).value["error"];
  CHECK(error["code"] == "json_validation_failed");
  CHECK(error["message"].get<std::string>().find("after 2 attempts") != std::string::npos);
}

TEST_CASE("structured: a gateway's MCP tool returns the validated JSON as structuredContent") {
  StructuredFixture fixture;
  fixture.person_gateway();
  McpSession session(fixture.home, {"--gateway", "people"});
  session.initialize();
  fixture.upstream.enqueue(ScriptedResponse::text_answer("```json\n{\"name\": \"Ada\", \"age\": 36}\n```", true));
  auto answer = session.request("tools/call", {{"name", "invoke_ai_model"}, {"arguments", {{"prompt", "Who?"}}}}, 2);
  CHECK(answer["result"]["isError"] == false);
  CHECK(answer["result"]["structuredContent"] == kAda);
  CHECK(weir::read_json(answer["result"]["content"][0]["text"].get<std::string>()).value == kAda);
}

namespace {

// ----- Anthropic: the schema as a forced tool -----

std::string anthropic_frame(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}

ScriptedResponse anthropic_tool_answer(const std::vector<std::string>& fragments) {
  std::vector<std::string> frames = {anthropic_frame(
      {{"type", "message_start"},
       {"message",
        {{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"}, {"content", json::array()},
         {"model", "claude-test"}, {"stop_reason", nullptr}, {"usage", {{"input_tokens", 20}, {"output_tokens", 1}}}}}})};
  frames.push_back(anthropic_frame({{"type", "content_block_start"},
                                    {"index", 0},
                                    {"content_block",
                                     {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "json_answer"},
                                      {"input", json::object()}}}}));
  for (const auto& fragment : fragments)
    frames.push_back(anthropic_frame({{"type", "content_block_delta"},
                                      {"index", 0},
                                      {"delta", {{"type", "input_json_delta"}, {"partial_json", fragment}}}}));
  frames.push_back(anthropic_frame({{"type", "content_block_stop"}, {"index", 0}}));
  frames.push_back(anthropic_frame({{"type", "message_delta"},
                                    {"delta", {{"stop_reason", "tool_use"}}},
                                    {"usage", {{"output_tokens", 9}}}}));
  frames.push_back(anthropic_frame({{"type", "message_stop"}}));
  return ScriptedResponse::raw_stream(frames, "text/event-stream");
}

}  // namespace

TEST_CASE("structured: Anthropic gets the schema as a forced tool, and the tool's input is the answer") {
  FakeUpstream upstream;
  upstream.answer_posts_matching("/v1/messages");
  WeirHome home;
  home.environment["WEIR_TEST_ANTHROPIC_KEY"] = "sk-ant-test";
  REQUIRE(home.run({"provider", "add", "claude", "--kind", "anthropic", "--base-url", upstream.base_url(),
                    "--api-key-env", "WEIR_TEST_ANTHROPIC_KEY", "--max-retries", "0"})
              .exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "claude", "--model", "claude-test", "--response-schema",
                    kPersonSchema.dump()})
              .exit_code == 0);
  upstream.enqueue(anthropic_tool_answer({"{\"name\": \"Ada\",", " \"age\": 36}"}));
  auto result = home.run({"chat", "g", "Who?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(weir::read_json(result.out).value == kAda);

  json body = upstream.requests().at(0).json_body;
  REQUIRE(body["tools"].size() == 1);
  CHECK(body["tools"][0]["name"] == "json_answer");
  CHECK(body["tools"][0]["input_schema"] == kPersonSchema);
  CHECK(body["tool_choice"] == json{{"type", "tool"}, {"name", "json_answer"}});
  CHECK(body["system"].get<std::string>().find("JSON Schema") != std::string::npos);
}

TEST_CASE("structured: Gemini gets generationConfig.responseSchema and responseMimeType") {
  FakeUpstream upstream;
  upstream.answer_posts_matching("/v1beta/models/[^/]+:(generateContent|streamGenerateContent)");
  WeirHome home;
  home.environment["WEIR_GEMINI_KEY"] = "gemini-test-key";
  REQUIRE(home.run({"provider", "add", "gem", "--kind", "gemini", "--base-url", upstream.root_url() + "/v1beta",
                    "--api-key-env", "WEIR_GEMINI_KEY", "--max-retries", "0"})
              .exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "g", "--provider", "gem", "--model", "gemini-2.5-flash"}).exit_code == 0);
  json answer = {{"candidates",
                  json::array({{{"content", {{"role", "model"}, {"parts", json::array({{{"text", "{\"name\": \"Ada\", \"age\": 36}"}}})}}},
                                {"finishReason", "STOP"},
                                {"index", 0}}})},
                 {"usageMetadata", {{"promptTokenCount", 9}, {"candidatesTokenCount", 7}, {"totalTokenCount", 16}}}};
  upstream.enqueue(ScriptedResponse::json_body(200, answer));
  auto result = home.run({"chat", "g", "--no-stream", "--schema", kPersonSchema.dump(), "Who?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(weir::read_json(result.out).value == kAda);
  json config = upstream.requests().at(0).json_body["generationConfig"];
  CHECK(config["responseMimeType"] == "application/json");
  CHECK(config["responseSchema"]["type"] == "OBJECT");
  CHECK(config["responseSchema"]["properties"]["age"]["type"] == "INTEGER");
}

TEST_CASE("structured: server-side tools run inside an attempt, before the final JSON") {
  StructuredFixture fixture;
  fixture.run_ok({"collection", "create", "docs"});
  fixture.run_ok({"collection", "import", "docs", "-"},
                 json({{"docid", "ada"}, {"text", "Ada Lovelace, born 1815, wrote the first program."}}).dump() + "\n");
  fixture.person_gateway({"--collection", "docs", "--strategy", "query_function"});
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::tool_call(0, "call_1", "docs_search", "{\"search_terms\":"),
                                                  chunk::tool_call(0, "", "", "[\"first program\"]}"),
                                                  chunk::finish("tool_calls"), chunk::usage(10, 2), chunk::kDone}));
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("{\"name\": \"Ada\", \"age\": 36}"),
                                                  chunk::finish("stop"), chunk::usage(30, 3), chunk::kDone}));
  std::vector<weir::StreamDelta> deltas;
  auto result = fixture.run_engine("people", true, json::object(), &deltas);
  CHECK(result.structured == kAda);
  REQUIRE(result.response["generation_context"]["runned_functions"].size() == 1);
  CHECK(result.response["generation_context"]["runned_functions"][0]["name"] == "docs_search");
  int tool_events = 0;
  for (const auto& delta : deltas)
    if (delta.server_tool) ++tool_events;
  CHECK(tool_events == 2);  // started, succeeded: tool activity is not held back
  // The second call carried the search result, and still the schema.
  json second = fixture.body(1);
  CHECK(second["messages"].back()["role"] == "tool");
  CHECK(second["response_format"]["type"] == "json_schema");
}
