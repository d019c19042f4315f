// OpenApiToolSource against a fake service on loopback: a call sends the
// request its operation describes (path parameters percent-encoded, query,
// headers with ${NAME} from the environment, a JSON body); arguments that
// break the schema, or cannot be sent, send nothing; any status comes back
// as the result, 4xx/5xx marked failed; a long answer is cut and says so.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "core/tools/openapi_document.hpp"
#include "core/tools/openapi_tool_source.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::FakeUpstream;
using weir::testing::ScriptedResponse;
using json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr const char* kDocument = R"(openapi: 3.1.0
info: {title: Notes}
paths:
  /notes/{noteId}:
    get:
      operationId: getNote
      parameters:
        - {name: noteId, in: path, schema: {type: string}}
        - {name: fields, in: query, schema: {type: array, items: {type: string}}}
        - {name: X-Request-Id, in: header, schema: {type: string}}
  /notes:
    post:
      operationId: createNote
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [text], properties: {text: {type: string, maxLength: 20}}}}}
)";

struct Fixture {
  FakeUpstream service;
  OpenApiToolSource source;
  CancelToken cancel;
  explicit Fixture(Headers headers = {{"Authorization", "Bearer ${NOTES_TOKEN}"}})
      : source(make_service(service, std::move(headers))) {}

  static OpenApiService make_service(const FakeUpstream& service,
                                     std::vector<std::pair<std::string, std::string>> headers) {
    OpenApiService made;
    made.name = "Notes";
    made.base_url = service.root_url() + "/api/";
    made.headers = std::move(headers);
    made.operations = read_openapi(kDocument, "notes.yaml").operations;
    return made;
  }

  ToolOutput call(const std::string& name, const json& arguments) {
    ToolCall call;
    call.id = "c1";
    call.name = name;
    call.arguments = arguments.dump();
    return source.run(call, ToolCallContext(cancel));
  }
};

}  // namespace

TEST_CASE("openapi tools: a call sends what its operation describes") {
  setenv("NOTES_TOKEN", "token-123", 1);
  Fixture fixture;
  // The fake sees the path decoded; request_for below shows it was sent encoded.
  fixture.service.answer_get("/api/notes/a/b c", {{"id", "a/b c"}, {"text", "hello"}});
  auto output = fixture.call("getNote", {{"noteId", "a/b c"}, {"fields", {"id", "text"}}, {"X-Request-Id", "r-1"}});
  CHECK_FALSE(output.failed);
  CHECK(output.text.starts_with("HTTP 200\n"));
  CHECK(json::parse(output.text.substr(9))["text"] == "hello");
  auto sent = fixture.service.requests().at(0);
  CHECK(sent.method == "GET");
  CHECK(sent.path == "/api/notes/a/b c");
  CHECK(sent.header("authorization") == "Bearer token-123");
  CHECK(sent.header("x-request-id") == "r-1");
  // Repeated query parameters: the fake keeps the last.
  CHECK(sent.query.at("fields") == "text");
  auto request = fixture.source.request_for("getNote", {{"noteId", "a/b c"}, {"fields", {"id", "text"}}});
  CHECK(request.url == fixture.service.root_url() + "/api/notes/a%2Fb%20c?fields=id&fields=text");

  fixture.service.answer_posts_matching("/api/notes");
  fixture.service.enqueue(ScriptedResponse::json_body(201, {{"id", "n2"}}));
  auto created = fixture.call("createNote", {{"body", {{"text", "buy milk"}}}});
  CHECK(created.text == "HTTP 201\n{\"id\":\"n2\"}");
  auto posted = fixture.service.requests().at(1);
  CHECK(posted.json_body == json{{"text", "buy milk"}});
  CHECK(posted.header("content-type") == "application/json");
}

TEST_CASE("openapi tools: arguments that break the schema, or cannot be sent, send nothing") {
  setenv("NOTES_TOKEN", "token-123", 1);
  Fixture fixture;
  auto refused = [&](const std::string& name, const json& arguments) {
    auto error = expect_error([&] { fixture.call(name, arguments); });
    CHECK(error.kind() == ErrorKind::usage);
    return std::string(error.what());
  };
  CHECK(refused("createNote", {{"body", {{"text", std::string(30, 'x')}}}}).find("/body/text") != std::string::npos);
  CHECK(refused("createNote", json::object()).find("body") != std::string::npos);
  CHECK(refused("getNote", {{"noteId", "1"}, {"unknown", 1}}).find("do not match its input schema") != std::string::npos);
  CHECK(refused("getNote", {{"noteId", "1"}, {"X-Request-Id", "a\r\nX-Evil: 1"}}).find("line break") !=
        std::string::npos);
  CHECK(refused("getNote", {{"noteId", ""}}).find("path parameter 'noteId' is empty") != std::string::npos);
  CHECK(refused("getNote", {{"noteId", ".."}}).find("path parameter 'noteId' is '..'") != std::string::npos);
  ToolCall broken;
  broken.name = "getNote";
  broken.arguments = "{\"noteId\": ";
  CHECK(expect_error([&] { fixture.source.run(broken, ToolCallContext(fixture.cancel)); }).kind() == ErrorKind::usage);
  CHECK(fixture.service.request_count() == 0);
}

TEST_CASE("openapi tools: a configured header cannot be overridden by a parameter") {
  Fixture fixture(Headers{{"X-Request-Id", "fixed"}});
  auto error = expect_error([&] { fixture.call("getNote", {{"noteId", "1"}, {"X-Request-Id", "mine"}}); });
  CHECK(std::string(error.what()).find("set by weir's configuration") != std::string::npos);
  CHECK(fixture.service.request_count() == 0);
}

TEST_CASE("openapi tools: error statuses are results the model reads; long answers are cut") {
  setenv("NOTES_TOKEN", "token-123", 1);
  Fixture fixture;
  auto missing = fixture.call("getNote", {{"noteId", "404"}});
  CHECK(missing.failed);
  CHECK(missing.text.starts_with("HTTP 404\n"));
  CHECK(missing.text.find("no route GET /api/notes/404") != std::string::npos);

  fixture.service.answer_get("/api/notes/long", {{"text", std::string(OpenApiToolSource::kMostResultBytes + 10, 'y')}});
  auto long_answer = fixture.call("getNote", {{"noteId", "long"}});
  CHECK_FALSE(long_answer.failed);
  CHECK(long_answer.text.find("[cut: the answer is ") != std::string::npos);
  CHECK(long_answer.text.size() < OpenApiToolSource::kMostResultBytes + 200);
}

TEST_CASE("openapi tools: an unset credential variable is an error naming it; the value never shows") {
  unsetenv("NOTES_TOKEN_UNSET");
  Fixture fixture(Headers{{"Authorization", "Bearer ${NOTES_TOKEN_UNSET}"}});
  auto error = expect_error([&] { fixture.call("getNote", {{"noteId", "1"}}); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(std::string(error.what()).find("NOTES_TOKEN_UNSET") != std::string::npos);
  CHECK(fixture.service.request_count() == 0);
}

TEST_CASE("openapi tools: a service that is down is an upstream error naming the service") {
  OpenApiService service;
  service.name = "Gone";
  service.base_url = "http://127.0.0.1:1";
  service.operations = read_openapi(kDocument, "notes.yaml").operations;
  OpenApiToolSource source(service);
  ToolCall call;
  call.name = "getNote";
  call.arguments = R"({"noteId": "1"})";
  CancelToken cancel;
  auto error = expect_error([&] { source.run(call, ToolCallContext(cancel)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(std::string(error.what()).find("OpenAPI service 'Gone' could not be called (GET http://127.0.0.1:1/notes/1)") !=
        std::string::npos);
  OpenApiService relative = service;
  relative.base_url = "/api";
  CHECK(expect_error([&] { OpenApiToolSource bad(relative); }).kind() == ErrorKind::usage);
}
