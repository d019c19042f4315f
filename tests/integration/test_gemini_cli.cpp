// A gemini-kind provider end to end: the built binary in a temporary home,
// a fake upstream in this process speaking the Generative Language API
// (v1beta) — `weir chat` streamed, --json and --dry-run, a query_function
// gateway whose tool loop runs through functionCall parts, and `weir serve`.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

constexpr const char* kKey = "gemini-cli-secret";

json text_part(const std::string& text) { return {{"text", text}}; }

json response_of(const json& parts, const std::string& finish = "", const json& usage = nullptr) {
  json candidate = {{"content", {{"role", "model"}, {"parts", parts}}}, {"index", 0}};
  if (!finish.empty()) candidate["finishReason"] = finish;
  json response = {{"candidates", json::array({candidate})}, {"modelVersion", "gemini-2.5-flash"}};
  if (!usage.is_null()) response["usageMetadata"] = usage;
  return response;
}

json usage_of(int prompt, int candidates) {
  return {{"promptTokenCount", prompt}, {"candidatesTokenCount", candidates}, {"totalTokenCount", prompt + candidates}};
}

ScriptedResponse stream_of(const std::vector<json>& chunks) {
  std::vector<std::string> payloads;
  for (const auto& chunk : chunks) payloads.push_back(chunk.dump());
  return ScriptedResponse::sse(payloads);
}

struct GeminiFixture {
  FakeUpstream upstream;
  WeirHome home;

  GeminiFixture() {
    upstream.answer_posts_matching("/v1beta/models/[^/]+:(generateContent|streamGenerateContent)");
    home.environment["WEIR_GEMINI_KEY"] = kKey;
    run_ok({"provider", "add", "gem", "--kind", "gemini", "--base-url", upstream.root_url() + "/v1beta",
            "--api-key-env", "WEIR_GEMINI_KEY", "--max-retries", "0"});
    run_ok({"gateway", "create", "g", "--provider", "gem", "--model", "gemini-2.5-flash", "--system", "Be brief."});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments, const std::string& input = "") {
    auto result = home.run(arguments, input);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  json body(size_t index) const { return upstream.requests().at(index).json_body; }
};

}  // namespace

TEST_CASE("gemini cli: weir chat streams a gemini answer") {
  GeminiFixture fixture;
  fixture.upstream.enqueue(stream_of({response_of(json::array({text_part("Hello ")})),
                                      response_of(json::array({text_part("there.")}), "STOP", usage_of(7, 2))}));
  auto result = fixture.run_ok({"chat", "g", "hi"});
  CHECK(result.out == "Hello there.\n");
  auto sent = fixture.upstream.requests().at(0);
  CHECK(sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
  CHECK(sent.query.at("alt") == "sse");
  CHECK(sent.header("x-goog-api-key") == kKey);
  CHECK(sent.json_body["systemInstruction"] == json{{"parts", json::array({text_part("Be brief.")})}});
  CHECK(sent.json_body["contents"] == json::array({{{"role", "user"}, {"parts", json::array({text_part("hi")})}}}));
}

TEST_CASE("gemini cli: --json prints the completion with usage and generated_usage") {
  GeminiFixture fixture;
  fixture.upstream.enqueue(stream_of({response_of(json::array({text_part("Blue.")}), "STOP", usage_of(1000, 500))}));
  auto result = fixture.run_ok({"--json", "chat", "g", "sky colour?"});
  auto response = json::parse(result.out);
  CHECK(response["choices"][0]["message"]["content"] == "Blue.");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK(response["usage"]["prompt_tokens"] == 1000);
  CHECK(response["usage"]["completion_tokens"] == 500);
  auto lines = response["generation_context"]["generated_usage"];
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["sku"] == "gem/gemini-2.5-flash:input_tokens");
  CHECK(lines[0]["quantity"] == 1000);
  CHECK(lines[0]["amount"].get<double>() == doctest::Approx(1000 * 0.30 / 1e6));
  CHECK(lines[1]["sku"] == "gem/gemini-2.5-flash:output_tokens");
  CHECK(lines[1]["quantity"] == 500);

  // --no-stream asks generateContent.
  fixture.upstream.enqueue(
      ScriptedResponse::json_body(200, response_of(json::array({text_part("Green.")}), "STOP", usage_of(5, 1))));
  auto whole = fixture.run_ok({"chat", "g", "--no-stream", "grass colour?"});
  CHECK(whole.out == "Green.\n");
  CHECK(fixture.upstream.requests().at(1).path == "/v1beta/models/gemini-2.5-flash:generateContent");
}

TEST_CASE("gemini cli: --dry-run shows the Gemini request with the key as a placeholder") {
  GeminiFixture fixture;
  auto result = fixture.run_ok({"chat", "g", "hi", "--dry-run"});
  CHECK(result.out.find(kKey) == std::string::npos);
  auto described = json::parse(result.out);
  CHECK(described["url"] == fixture.upstream.root_url() + "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  CHECK(described["headers"]["x-goog-api-key"] == "$WEIR_GEMINI_KEY");
  CHECK(described["body"]["contents"][0]["parts"][0]["text"] == "hi");
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("gemini cli: a rejected key exits 5 and names the variable") {
  GeminiFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      400, {{"error",
             {{"code", 400},
              {"message", "API key not valid. Please pass a valid API key."},
              {"status", "INVALID_ARGUMENT"},
              {"details", json::array({{{"reason", "API_KEY_INVALID"}}})}}}}));
  auto result = fixture.home.run({"chat", "g", "hi"});
  CHECK(result.exit_code == 5);
  CHECK(result.err.find("WEIR_GEMINI_KEY") != std::string::npos);
  CHECK(result.err.find(kKey) == std::string::npos);
}

TEST_CASE("gemini cli: a query_function gateway runs the search tool through functionCall and functionResponse") {
  GeminiFixture fixture;
  const std::string corpus =
      json{{"docid", "keys"}, {"text", "API keys should be rotated every ninety days."}}.dump() + "\n" +
      json{{"docid", "backups"}, {"text", "Backups of the store run nightly."}}.dump() + "\n";
  fixture.run_ok({"collection", "create", "docs", "--context", "The operations handbook."});
  fixture.run_ok({"collection", "import", "docs", "-"}, corpus);
  fixture.run_ok({"gateway", "create", "rag", "--provider", "gem", "--model", "gemini-2.5-flash", "--collection", "docs",
                  "--strategy", "query_function", "--top", "1"});
  fixture.upstream.enqueue(stream_of({response_of(
      json::array({{{"functionCall", {{"name", "docs_search"}, {"args", {{"search_terms", {"key rotation"}}}}}}}}),
      "STOP", usage_of(50, 10))}));
  fixture.upstream.enqueue(stream_of({response_of(json::array({text_part("Every ninety days.")}), "STOP", usage_of(80, 6))}));

  auto result = fixture.run_ok({"--json", "chat", "rag", "How often should API keys be rotated?"});
  auto response = json::parse(result.out);
  CHECK(response["choices"][0]["message"]["content"] == "Every ninety days.");
  CHECK(response["usage"]["prompt_tokens"] == 130);
  auto functions = response["generation_context"]["runned_functions"];
  REQUIRE(functions.size() == 1);
  CHECK(functions[0]["name"] == "docs_search");
  CHECK(functions[0]["id"] == "call_0");
  CHECK(functions[0]["success"] == true);

  REQUIRE(fixture.upstream.request_count() == 2);
  auto first = fixture.body(0);
  REQUIRE(first["tools"][0]["functionDeclarations"].size() == 1);
  CHECK(first["tools"][0]["functionDeclarations"][0]["name"] == "docs_search");
  CHECK(first["tools"][0]["functionDeclarations"][0]["parameters"]["type"] == "OBJECT");
  auto contents = fixture.body(1)["contents"];
  REQUIRE(contents.size() == 3);
  CHECK(contents[1] == json{{"role", "model"},
                            {"parts", json::array({{{"functionCall",
                                                     {{"name", "docs_search"},
                                                      {"args", {{"search_terms", {"key rotation"}}}}}}}})}});
  auto answer = contents[2]["parts"][0]["functionResponse"];
  CHECK(contents[2]["role"] == "user");
  CHECK(answer["name"] == "docs_search");
  REQUIRE(answer["response"]["content"].is_string());
  CHECK(answer["response"]["content"].get<std::string>().find("rotated every ninety days") != std::string::npos);
}

TEST_CASE("gemini cli: weir serve answers /v1/chat/completions through the gemini gateway") {
  GeminiFixture fixture;
  ServeProcess serve(fixture.home);
  json request = {{"model", "g"}, {"messages", {{{"role", "user"}, {"content", "six times seven?"}}}}};

  fixture.upstream.enqueue(
      ScriptedResponse::json_body(200, response_of(json::array({text_part("42")}), "STOP", usage_of(12, 3))));
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions", request.dump());
  REQUIRE(reply.status == 200);
  auto response = json::parse(reply.body);
  CHECK(response["object"] == "chat.completion");
  CHECK(response["choices"][0]["message"]["content"] == "42");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK(response["usage"]["prompt_tokens"] == 12);
  CHECK(fixture.upstream.requests().at(0).path == "/v1beta/models/gemini-2.5-flash:generateContent");

  request["stream"] = true;
  request["stream_options"] = {{"include_usage", true}};
  fixture.upstream.enqueue(stream_of({response_of(json::array({text_part("for")})),
                                      response_of(json::array({text_part("ty-two")}), "STOP", usage_of(12, 4))}));
  auto streamed = http_request(serve.port(), "POST", "/v1/chat/completions", request.dump());
  REQUIRE(streamed.status == 200);
  CHECK(streamed.header("content-type").find("text/event-stream") != std::string::npos);
  std::string content;
  bool finished = false;
  bool done = false;
  size_t start = 0;
  while ((start = streamed.body.find("data: ", start)) != std::string::npos) {
    size_t end = streamed.body.find("\n\n", start);
    std::string payload = streamed.body.substr(start + 6, end - start - 6);
    start = end;
    if (payload == "[DONE]") {
      done = true;
      continue;
    }
    auto chunk = json::parse(payload);
    for (const auto& choice : chunk["choices"]) {
      if (choice.contains("delta") && choice["delta"].contains("content")) content += choice["delta"]["content"].get<std::string>();
      if (choice.contains("finish_reason") && choice["finish_reason"] == "stop") finished = true;
    }
  }
  CHECK(content == "forty-two");
  CHECK(finished);
  CHECK(done);
  CHECK(fixture.upstream.requests().at(1).path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
}
