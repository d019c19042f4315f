// The azure kind end to end: `weir provider add azure` with the base URL of a
// fake Azure resource, a gateway whose model is the deployment, `weir chat`
// streamed, --json and --dry-run, `weir provider models`, and `weir serve`.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

constexpr const char* kKey = "azure-cli-secret-0123456789";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Azure's chat-completion chunks: a prompt-filter chunk with no choices, then
// content chunks with content_filter_results, the finish, usage, [DONE].
std::vector<std::string> azure_stream(const std::vector<std::string>& pieces) {
  auto chunk = [](const json& delta, const json& finish) {
    return json{{"id", "chatcmpl-AzCli"},
                {"object", "chat.completion.chunk"},
                {"created", 1733000000},
                {"model", "gpt-4o-2024-08-06"},
                {"choices", json::array({{{"index", 0},
                                          {"content_filter_results", json::object()},
                                          {"delta", delta},
                                          {"finish_reason", finish},
                                          {"logprobs", nullptr}}})}}
        .dump();
  };
  std::vector<std::string> payloads = {
      json{{"choices", json::array()},
           {"created", 0},
           {"id", ""},
           {"model", ""},
           {"object", ""},
           {"prompt_filter_results",
            json::array({{{"prompt_index", 0},
                          {"content_filter_results", {{"hate", {{"filtered", false}, {"severity", "safe"}}}}}}})}}
          .dump(),
      chunk({{"role", "assistant"}, {"content", ""}}, nullptr)};
  for (const auto& piece : pieces) payloads.push_back(chunk({{"content", piece}}, nullptr));
  payloads.push_back(chunk(json::object(), "stop"));
  payloads.push_back(json{{"id", "chatcmpl-AzCli"},
                          {"object", "chat.completion.chunk"},
                          {"model", "gpt-4o-2024-08-06"},
                          {"choices", json::array()},
                          {"usage", {{"prompt_tokens", 9}, {"completion_tokens", 2}, {"total_tokens", 11}}}}
                         .dump());
  payloads.push_back("[DONE]");
  return payloads;
}

json azure_completion(const std::string& content) {
  return {{"id", "chatcmpl-AzWhole"},
          {"object", "chat.completion"},
          {"created", 1733000000},
          {"model", "gpt-4o-2024-08-06"},
          {"prompt_filter_results", json::array()},
          {"choices", json::array({{{"index", 0},
                                    {"finish_reason", "stop"},
                                    {"content_filter_results", json::object()},
                                    {"message", {{"role", "assistant"}, {"content", content}}}}})},
          {"usage", {{"prompt_tokens", 9}, {"completion_tokens", 2}, {"total_tokens", 11}}}};
}

struct AzureFixture {
  FakeUpstream upstream;
  WeirHome home;

  // `base_path`: /openai (deployments), /openai/v1 or /models (Foundry).
  explicit AzureFixture(const std::string& base_path = "/openai") {
    home.environment["AZURE_OPENAI_API_KEY"] = kKey;
    upstream.answer_posts_matching("/openai/deployments/[^/]+/chat/completions");
    upstream.answer_posts_matching("/openai/v1/chat/completions");
    upstream.answer_posts_matching("/models/chat/completions");
    run_ok({"provider", "add", "azure", "--base-url", upstream.root_url() + base_path, "--max-retries", "0"});
    run_ok({"gateway", "create", "helper", "--provider", "azure", "--model", "gpt4o-prod", "--system", "Be brief."});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
};

}  // namespace

TEST_CASE("azure cli: provider add uses the preset's key variable and checks the base URL") {
  WeirHome home;
  auto missing = home.run({"provider", "add", "azure"});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "needs --base-url"));
  CHECK(contains(missing.err, "weir provider add azure --base-url https://RESOURCE.openai.azure.com/openai/v1"));

  auto wrong = home.run({"provider", "add", "azure", "--base-url", "https://res.openai.azure.com/deployments/x"});
  CHECK(wrong.exit_code == 2);
  CHECK(contains(wrong.err, "is none of Azure's forms"));

  auto added = home.run({"--json", "provider", "add", "azure", "--base-url", "https://res.openai.azure.com/openai/v1"});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  auto shown = json::parse(added.out);
  CHECK(shown["kind"] == "azure");
  CHECK(shown["api_key_env"] == "AZURE_OPENAI_API_KEY");
  CHECK(shown["base_url"] == "https://res.openai.azure.com/openai/v1");
}

TEST_CASE("azure cli: chat streams from the deployment with api-key and api-version") {
  AzureFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::sse(azure_stream({"Hello", " from", " Azure"})));
  auto result = fixture.home.run({"chat", "helper", "hi"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  CHECK(result.out == "Hello from Azure\n");
  REQUIRE(fixture.upstream.request_count() == 1);
  auto sent = fixture.upstream.requests().at(0);
  CHECK(sent.path == "/openai/deployments/gpt4o-prod/chat/completions");
  CHECK(sent.query.at("api-version") == "2024-10-21");
  CHECK(sent.header("api-key") == kKey);
  CHECK(sent.header("Authorization").empty());
  CHECK(sent.json_body["stream"] == true);
  CHECK(sent.json_body["messages"][0] == json{{"role", "system"}, {"content", "Be brief."}});
}

TEST_CASE("azure cli: chat --json prints the folded chat.completion") {
  AzureFixture fixture("/openai/v1");
  fixture.upstream.enqueue(ScriptedResponse::sse(azure_stream({"forty", "-two"})));
  auto result = fixture.home.run({"--json", "chat", "helper", "six times seven?"});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  auto response = json::parse(result.out);
  CHECK(response["object"] == "chat.completion");
  CHECK(response["choices"][0]["message"]["content"] == "forty-two");
  CHECK(response["choices"][0]["finish_reason"] == "stop");
  CHECK(response["usage"]["prompt_tokens"] == 9);
  auto sent = fixture.upstream.requests().at(0);
  CHECK(sent.path == "/openai/v1/chat/completions");
  CHECK(sent.query.empty());
  CHECK(sent.json_body["model"] == "gpt4o-prod");
}

TEST_CASE("azure cli: --dry-run shows the Azure URL and the key's placeholder, never the key") {
  AzureFixture fixture("/models");
  auto dry = fixture.home.run({"chat", "helper", "hi", "--dry-run"});
  REQUIRE_MESSAGE(dry.exit_code == 0, dry.err);
  CHECK_FALSE(contains(dry.out, kKey));
  auto shown = json::parse(dry.out);
  CHECK(shown["url"] == fixture.upstream.root_url() + "/models/chat/completions?api-version=2024-05-01-preview");
  CHECK(shown["headers"]["api-key"] == "$AZURE_OPENAI_API_KEY");
  CHECK(shown["body"]["model"] == "gpt4o-prod");
  CHECK(fixture.upstream.request_count() == 0);
}

TEST_CASE("azure cli: a prompt the content filter refused exits 2 and says so") {
  AzureFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::json_body(
      400, {{"error",
             {{"message", "The response was filtered due to the prompt triggering Azure OpenAI's content management "
                          "policy. Please modify your prompt and retry."},
              {"type", nullptr},
              {"param", "prompt"},
              {"code", "content_filter"},
              {"status", 400}}}}));
  auto result = fixture.home.run({"chat", "helper", "something filtered"});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, "the prompt was filtered by Azure's content filter"));
  CHECK(contains(result.err, "Please modify your prompt and retry."));
  CHECK(result.out.empty());
}

TEST_CASE("azure cli: provider models lists in the v1 form and explains the other forms") {
  SUBCASE("v1 lists") {
    AzureFixture fixture("/openai/v1");
    fixture.upstream.answer_get("/openai/v1/models",
                                {{"object", "list"},
                                 {"data", json::array({{{"id", "gpt-4o-mini"}, {"object", "model"}},
                                                       {{"id", "gpt-4o"}, {"object", "model"}}})}});
    auto listed = fixture.home.run({"provider", "models", "azure"});
    REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
    CHECK(listed.out == "gpt-4o\ngpt-4o-mini\n");
    CHECK(fixture.upstream.requests().back().header("api-key") == kKey);
    auto as_json = fixture.home.run({"--json", "provider", "models", "azure"});
    CHECK(json::parse(as_json.out) == json::array({"gpt-4o", "gpt-4o-mini"}));
  }
  SUBCASE("deployments cannot be listed") {
    AzureFixture fixture("/openai");
    auto listed = fixture.home.run({"provider", "models", "azure"});
    CHECK(listed.exit_code == 2);
    CHECK(contains(listed.err, "cannot list deployments"));
    CHECK(listed.out.empty());
    CHECK(fixture.upstream.request_count() == 0);
  }
  SUBCASE("Foundry model inference has no list") {
    AzureFixture fixture("/models");
    auto listed = fixture.home.run({"provider", "models", "azure"});
    CHECK(listed.exit_code == 2);
    CHECK(contains(listed.err, "has no model list"));
  }
}

TEST_CASE("azure cli: weir serve answers a non-streamed request through the deployment") {
  AzureFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::json_body(200, azure_completion("Served by Azure.")));
  ServeProcess serve(fixture.home);
  auto reply = http_request(serve.port(), "POST", "/v1/chat/completions",
                            json{{"model", "helper"},
                                 {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
                                 {"stream", false}}
                                .dump());
  REQUIRE_MESSAGE(reply.status == 200, reply.raw);
  auto body = json::parse(reply.body);
  CHECK(body["object"] == "chat.completion");
  CHECK(body["choices"][0]["message"]["content"] == "Served by Azure.");
  CHECK(body["usage"]["completion_tokens"] == 2);
  auto sent = fixture.upstream.requests().at(0);
  CHECK(sent.path == "/openai/deployments/gpt4o-prod/chat/completions");
  CHECK(sent.query.at("api-version") == "2024-10-21");
  CHECK(sent.header("api-key") == kKey);
  CHECK(sent.json_body["stream"] == false);
  CHECK_FALSE(contains(reply.raw, kKey));
}

TEST_CASE("provider models: the built-in extractive provider lists its one model") {
  WeirHome home;
  auto listed = home.run({"provider", "models", "local"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  CHECK(listed.out == "extractive\n");
}
