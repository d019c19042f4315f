// The azure kind against the fake upstream: each of Azure's three URL forms
// (deployments, v1, Foundry model inference) gets its exact path, query and
// key header; answers are Azure's OpenAI-wire answers (prompt_filter_results
// chunks, content_filter_results, finish_reason "content_filter"), and its
// 400s (content filter, context length) keep their meaning.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/provider/azure_endpoint.hpp"
#include "core/provider/provider.hpp"
#include "core/provider/provider_setup.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::FakeUpstream;
using weir::testing::ScriptedResponse;

namespace {

constexpr const char* kKeyVariable = "WEIR_TEST_AZURE_KEY";
constexpr const char* kKey = "azure-secret-key-123";

// Azure's chat paths; the fake answers them from its script.
void answer_azure_paths(FakeUpstream& upstream) {
  upstream.answer_posts_matching("/openai/deployments/[^/]+/(chat/completions|embeddings)");
  upstream.answer_posts_matching("/openai/v1/(chat/completions|embeddings)");
  upstream.answer_posts_matching("/models/(chat/completions|embeddings)");
}

ProviderConfig azure_config(const std::string& base_url) {
  setenv(kKeyVariable, kKey, 1);
  ProviderConfig config;
  config.name = "azure";
  config.kind = ProviderKind::azure;
  config.base_url = base_url;
  config.api_key_env = kKeyVariable;
  config.connect_timeout_ms = 2000;
  config.idle_timeout_ms = 5000;
  config.max_retries = 0;
  return config;
}

ChatRequest request_for(const std::string& model, bool stream) {
  ChatRequest request;
  request.model = model;
  request.messages = json::array({{{"role", "user"}, {"content", "Hi"}}});
  request.stream = stream;
  return request;
}

struct Outcome {
  Completion completion;
  std::vector<StreamDelta> deltas;
};

Outcome run_chat(const ProviderConfig& config, const ChatRequest& request) {
  Outcome outcome;
  outcome.completion = make_provider(config)->chat(
      request, [&](const StreamDelta& delta) { outcome.deltas.push_back(delta); }, CancelToken());
  return outcome;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json filter_results() {
  return {{"hate", {{"filtered", false}, {"severity", "safe"}}},
          {"self_harm", {{"filtered", false}, {"severity", "safe"}}},
          {"sexual", {{"filtered", false}, {"severity", "safe"}}},
          {"violence", {{"filtered", false}, {"severity", "safe"}}}};
}

// Azure's stream: a first chunk with no choices carrying the prompt's filter
// results (empty id and model), content chunks with content_filter_results,
// the finish, a usage chunk, [DONE].
std::vector<std::string> azure_stream(const std::vector<std::string>& pieces, const std::string& finish_reason) {
  auto chunk = [](json choice) {
    json object = {{"id", "chatcmpl-AzUre1"},
                   {"object", "chat.completion.chunk"},
                   {"created", 1733000000},
                   {"model", "gpt-4o-2024-08-06"},
                   {"system_fingerprint", "fp_azure"},
                   {"choices", json::array({choice})}};
    return object.dump();
  };
  std::vector<std::string> payloads;
  payloads.push_back(json{{"choices", json::array()},
                          {"created", 0},
                          {"id", ""},
                          {"model", ""},
                          {"object", ""},
                          {"prompt_filter_results",
                           json::array({{{"prompt_index", 0}, {"content_filter_results", filter_results()}}})}}
                         .dump());
  payloads.push_back(chunk({{"content_filter_results", json::object()},
                            {"delta", {{"content", ""}, {"refusal", nullptr}, {"role", "assistant"}}},
                            {"finish_reason", nullptr},
                            {"index", 0},
                            {"logprobs", nullptr}}));
  for (const auto& piece : pieces)
    payloads.push_back(chunk({{"content_filter_results", filter_results()},
                              {"delta", {{"content", piece}}},
                              {"finish_reason", nullptr},
                              {"index", 0},
                              {"logprobs", nullptr}}));
  payloads.push_back(chunk({{"content_filter_results", json::object()},
                            {"delta", json::object()},
                            {"finish_reason", finish_reason},
                            {"index", 0},
                            {"logprobs", nullptr}}));
  payloads.push_back(json{{"id", "chatcmpl-AzUre1"},
                          {"object", "chat.completion.chunk"},
                          {"created", 1733000000},
                          {"model", "gpt-4o-2024-08-06"},
                          {"choices", json::array()},
                          {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 3}, {"total_tokens", 15}}}}
                         .dump());
  payloads.push_back("[DONE]");
  return payloads;
}

json azure_completion(const json& message, const std::string& finish_reason) {
  return {{"id", "chatcmpl-AzUre2"},
          {"object", "chat.completion"},
          {"created", 1733000000},
          {"model", "gpt-4o-2024-08-06"},
          {"system_fingerprint", "fp_azure"},
          {"prompt_filter_results", json::array({{{"prompt_index", 0}, {"content_filter_results", filter_results()}}})},
          {"choices", json::array({{{"index", 0},
                                    {"finish_reason", finish_reason},
                                    {"logprobs", nullptr},
                                    {"content_filter_results", filter_results()},
                                    {"message", message}}})},
          {"usage", {{"prompt_tokens", 20}, {"completion_tokens", 7}, {"total_tokens", 27}}}};
}

json azure_embeddings(size_t count) {
  json data = json::array();
  for (size_t index = 0; index < count; ++index)
    data.push_back({{"object", "embedding"}, {"index", index}, {"embedding", {0.5 + index, -0.25}}});
  return {{"object", "list"},
          {"model", "text-embedding-3-small"},
          {"data", data},
          {"usage", {{"prompt_tokens", 4}, {"total_tokens", 4}}}};
}

}  // namespace

TEST_CASE("azure: each URL form is chosen from the base URL's path") {
  auto form = [](const std::string& url) { return azure_form(azure_config(url)); };
  CHECK(form("https://res.openai.azure.com/openai/v1") == AzureForm::v1);
  CHECK(form("https://res.openai.azure.com/openai/v1/") == AzureForm::v1);
  CHECK(form("https://res.openai.azure.com/OpenAI/V1?api-version=preview") == AzureForm::v1);
  CHECK(form("https://res.openai.azure.com/openai") == AzureForm::deployments);
  CHECK(form("https://res.openai.azure.com/openai?api-version=2025-01-01-preview") == AzureForm::deployments);
  CHECK(form("https://res.openai.azure.com") == AzureForm::deployments);
  CHECK(form("https://res.cognitiveservices.azure.com/") == AzureForm::deployments);
  CHECK(form("https://res.services.ai.azure.com/models") == AzureForm::foundry);

  auto unknown = expect_error([&] { form("https://res.openai.azure.com/openai/deployments/gpt4o"); });
  CHECK(unknown.kind() == ErrorKind::usage);
  CHECK(contains(unknown.what(), "is none of Azure's forms"));
  CHECK(contains(unknown.what(), "https://RESOURCE.openai.azure.com/openai/v1"));
  CHECK(contains(unknown.what(), "https://RESOURCE.services.ai.azure.com/models"));

  auto missing = expect_error([&] { form(""); });
  CHECK(missing.kind() == ErrorKind::usage);
  CHECK(contains(missing.what(), "needs --base-url"));
  CHECK(contains(missing.what(), "weir provider add azure --base-url https://RESOURCE.openai.azure.com/openai/v1"));
}

TEST_CASE("azure: the deployments form puts the deployment in the path, api-version in the query, the key in api-key") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai");

  SUBCASE("streamed, with the default api-version") {
    upstream.enqueue(ScriptedResponse::sse(azure_stream({"Hel", "lo"}, "stop")));
    auto outcome = run_chat(config, request_for("my-gpt4o", true));
    REQUIRE(upstream.request_count() == 1);
    auto sent = upstream.requests().at(0);
    CHECK(sent.method == "POST");
    CHECK(sent.path == "/openai/deployments/my-gpt4o/chat/completions");
    CHECK(sent.query == std::map<std::string, std::string>{{"api-version", "2024-10-21"}});
    CHECK(sent.header("api-key") == kKey);
    CHECK(sent.header("Authorization").empty());
    CHECK(sent.header("Accept") == "text/event-stream");
    CHECK(sent.json_body["stream"] == true);
    CHECK(sent.json_body["stream_options"] == json{{"include_usage", true}});
    CHECK(sent.json_body["messages"] == request_for("x", true).messages);

    CHECK(outcome.completion.content == "Hello");
    CHECK(outcome.completion.finish_reason == "stop");
    CHECK(outcome.completion.id == "chatcmpl-AzUre1");
    CHECK(outcome.completion.model == "gpt-4o-2024-08-06");
    REQUIRE(outcome.completion.usage.has_value());
    CHECK(outcome.completion.usage->prompt_tokens == 12);
    CHECK(outcome.completion.usage->completion_tokens == 3);
    // The prompt-filter chunk carries nothing and is not delivered.
    for (const auto& delta : outcome.deltas)
      CHECK((!delta.content.empty() || delta.finish_reason || delta.usage));
  }
  SUBCASE("not streamed, the base URL's api-version kept") {
    config.base_url = upstream.root_url() + "/openai?api-version=2025-01-01-preview";
    upstream.enqueue(ScriptedResponse::json_body(
        200, azure_completion({{"role", "assistant"}, {"content", "Whole answer"}, {"refusal", nullptr}}, "stop")));
    auto outcome = run_chat(config, request_for("gpt-4o-mini", false));
    auto sent = upstream.requests().at(0);
    CHECK(sent.path == "/openai/deployments/gpt-4o-mini/chat/completions");
    CHECK(sent.query == std::map<std::string, std::string>{{"api-version", "2025-01-01-preview"}});
    CHECK(sent.header("Accept") == "application/json");
    CHECK(sent.json_body["stream"] == false);
    CHECK_FALSE(sent.json_body.contains("stream_options"));
    CHECK(outcome.completion.content == "Whole answer");
    CHECK(outcome.deltas.size() == 1);
    CHECK(outcome.completion.usage->prompt_tokens == 20);
  }
  SUBCASE("the bare resource URL means the same form") {
    config.base_url = upstream.root_url();
    run_chat(config, request_for("my-gpt4o", false));
    CHECK(upstream.requests().at(0).path == "/openai/deployments/my-gpt4o/chat/completions");
  }
  SUBCASE("a deployment name is one path segment, whatever it holds") {
    auto description = make_provider(config)->describe_request(request_for("a/b c?x", false));
    CHECK(description["url"] ==
          upstream.root_url() + "/openai/deployments/a%2Fb%20c%3Fx/chat/completions?api-version=2024-10-21");
  }
}

TEST_CASE("azure: the v1 form takes the model in the body and needs no api-version") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai/v1");

  SUBCASE("streamed") {
    upstream.enqueue(ScriptedResponse::sse(azure_stream({"v1 ", "answer"}, "stop")));
    auto outcome = run_chat(config, request_for("gpt-4.1-deployment", true));
    auto sent = upstream.requests().at(0);
    CHECK(sent.path == "/openai/v1/chat/completions");
    CHECK(sent.query.empty());
    CHECK(sent.header("api-key") == kKey);
    CHECK(sent.header("extra-parameters").empty());
    CHECK(sent.json_body["model"] == "gpt-4.1-deployment");
    CHECK(outcome.completion.content == "v1 answer");
  }
  SUBCASE("not streamed") {
    upstream.enqueue(
        ScriptedResponse::json_body(200, azure_completion({{"role", "assistant"}, {"content", "ok"}}, "stop")));
    auto outcome = run_chat(config, request_for("gpt-4.1-deployment", false));
    CHECK(upstream.requests().at(0).path == "/openai/v1/chat/completions");
    CHECK(outcome.completion.content == "ok");
  }
}

TEST_CASE("azure: the Foundry model inference form adds its api-version and takes the model in the body") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/models");
  upstream.enqueue(ScriptedResponse::sse(azure_stream({"from ", "Foundry"}, "stop")));
  auto outcome = run_chat(config, request_for("Mistral-Large-2411", true));
  auto sent = upstream.requests().at(0);
  CHECK(sent.path == "/models/chat/completions");
  CHECK(sent.query == std::map<std::string, std::string>{{"api-version", "2024-05-01-preview"}});
  CHECK(sent.header("api-key") == kKey);
  CHECK(sent.json_body["model"] == "Mistral-Large-2411");
  CHECK(sent.json_body["stream_options"] == json{{"include_usage", true}});
  CHECK(sent.header("extra-parameters") == "pass-through");
  CHECK(outcome.completion.content == "from Foundry");
  CHECK_FALSE(make_provider(config)->capabilities().json_schema);
  CHECK(make_provider(azure_config(upstream.root_url() + "/openai/v1"))->capabilities().json_schema);
}

TEST_CASE("azure: tool calls are sent and assembled as OpenAI's") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai");
  auto request = request_for("my-gpt4o", false);
  request.tools = json::array({{{"type", "function"},
                                {"function",
                                 {{"name", "get_weather"},
                                  {"parameters",
                                   {{"type", "object"},
                                    {"properties", {{"city", {{"type", "string"}}}}},
                                    {"required", {"city"}}}}}}}});
  request.tool_choice = "auto";

  SUBCASE("whole answer") {
    upstream.enqueue(ScriptedResponse::json_body(
        200, azure_completion({{"role", "assistant"},
                               {"content", nullptr},
                               {"tool_calls",
                                json::array({{{"id", "call_az1"},
                                              {"type", "function"},
                                              {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Oslo\"}"}}}}})}},
                              "tool_calls")));
    auto outcome = run_chat(config, request);
    auto sent = upstream.requests().at(0);
    CHECK(sent.json_body["tools"] == request.tools);
    CHECK(sent.json_body["tool_choice"] == "auto");
    REQUIRE(outcome.completion.tool_calls.size() == 1);
    CHECK(outcome.completion.tool_calls[0].id == "call_az1");
    CHECK(outcome.completion.tool_calls[0].name == "get_weather");
    CHECK(outcome.completion.tool_calls[0].arguments == "{\"city\":\"Oslo\"}");
    CHECK(outcome.completion.finish_reason == "tool_calls");
  }
  SUBCASE("streamed in fragments") {
    request.stream = true;
    auto call_chunk = [](json call, json finish) {
      return json{{"id", "chatcmpl-AzUre3"},
                  {"object", "chat.completion.chunk"},
                  {"model", "gpt-4o-2024-08-06"},
                  {"choices", json::array({{{"index", 0},
                                            {"content_filter_results", json::object()},
                                            {"delta", call.is_null() ? json::object() : json{{"tool_calls", json::array({call})}}},
                                            {"finish_reason", finish}}})}}
          .dump();
    };
    upstream.enqueue(ScriptedResponse::sse(
        {json{{"choices", json::array()}, {"id", ""}, {"model", ""}, {"prompt_filter_results", json::array()}}.dump(),
         call_chunk({{"index", 0}, {"id", "call_az2"}, {"type", "function"}, {"function", {{"name", "get_weather"}, {"arguments", ""}}}},
                    nullptr),
         call_chunk({{"index", 0}, {"function", {{"arguments", "{\"city\":"}}}}, nullptr),
         call_chunk({{"index", 0}, {"function", {{"arguments", "\"Rome\"}"}}}}, nullptr),
         call_chunk(nullptr, "tool_calls"), "[DONE]"}));
    auto outcome = run_chat(config, request);
    REQUIRE(outcome.completion.tool_calls.size() == 1);
    CHECK(outcome.completion.tool_calls[0].id == "call_az2");
    CHECK(outcome.completion.tool_calls[0].arguments == "{\"city\":\"Rome\"}");
  }
}

TEST_CASE("azure: embeddings go to each form's embeddings path") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  struct Row {
    std::string base_path;
    std::string expected_path;
    std::map<std::string, std::string> expected_query;
  };
  std::vector<Row> rows = {
      {"/openai", "/openai/deployments/embed-small/embeddings", {{"api-version", "2024-10-21"}}},
      {"/openai/v1", "/openai/v1/embeddings", {}},
      {"/models", "/models/embeddings", {{"api-version", "2024-05-01-preview"}}},
  };
  for (const auto& row : rows) {
    CAPTURE(row.base_path);
    upstream.enqueue(ScriptedResponse::json_body(200, azure_embeddings(2)));
    auto vectors = make_provider(azure_config(upstream.root_url() + row.base_path))
                       ->embeddings("embed-small", {"one", "two"}, CancelToken());
    auto sent = upstream.requests().back();
    CHECK(sent.path == row.expected_path);
    CHECK(sent.query == row.expected_query);
    CHECK(sent.header("api-key") == kKey);
    CHECK(sent.json_body == json{{"model", "embed-small"}, {"input", {"one", "two"}}, {"encoding_format", "float"}});
    REQUIRE(vectors.size() == 2);
    CHECK(vectors[1] == std::vector<float>{1.5f, -0.25f});
  }
}

TEST_CASE("azure: a finish_reason content_filter passes through") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai/v1");
  SUBCASE("streamed") {
    upstream.enqueue(ScriptedResponse::sse(azure_stream({"Part of an"}, "content_filter")));
    auto outcome = run_chat(config, request_for("gpt-4o", true));
    CHECK(outcome.completion.finish_reason == "content_filter");
    CHECK(outcome.completion.content == "Part of an");
  }
  SUBCASE("not streamed") {
    upstream.enqueue(ScriptedResponse::json_body(
        200, azure_completion({{"role", "assistant"}, {"content", nullptr}}, "content_filter")));
    auto outcome = run_chat(config, request_for("gpt-4o", false));
    CHECK(outcome.completion.finish_reason == "content_filter");
  }
}

TEST_CASE("azure: a prompt refused by the content filter is its own error, not retried") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai");
  config.max_retries = 2;
  upstream.enqueue(ScriptedResponse::json_body(
      400, {{"error",
             {{"message",
               "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
               "Please modify your prompt and retry."},
              {"type", nullptr},
              {"param", "prompt"},
              {"code", "content_filter"},
              {"status", 400},
              {"innererror",
               {{"code", "ResponsibleAIPolicyViolation"},
                {"content_filter_result", {{"violence", {{"filtered", true}, {"severity", "medium"}}}}}}}}}}));
  auto error = expect_error([&] { run_chat(config, request_for("my-gpt4o", true)); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(error.code() == "content_filter");
  CHECK(contains(error.what(), "azure: the prompt was filtered by Azure's content filter (HTTP 400)"));
  CHECK(contains(error.what(), "Please modify your prompt and retry."));
  CHECK(contains(error.what(), "rephrase the prompt"));
  CHECK(upstream.request_count() == 1);
}

TEST_CASE("azure: a context too long is a usage error with the upstream's message") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai");
  upstream.enqueue(ScriptedResponse::json_body(
      400, {{"error",
             {{"message",
               "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens. "
               "Please reduce the length of the messages."},
              {"type", "invalid_request_error"},
              {"param", "messages"},
              {"code", "context_length_exceeded"}}}}));
  auto error = expect_error([&] { run_chat(config, request_for("my-gpt4o", false)); });
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(error.code() == "context_length_exceeded");
  CHECK(contains(error.what(), "the conversation is too long for the model (HTTP 400)"));
  CHECK(contains(error.what(), "maximum context length is 8192 tokens"));
  CHECK(upstream.request_count() == 1);
}

TEST_CASE("azure: other 400s stay the upstream's rejection") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  upstream.enqueue(ScriptedResponse::json_body(
      400, {{"error", {{"message", "Unrecognized request argument supplied: foo"}, {"code", "invalid_request"}}}}));
  auto error = expect_error([&] { run_chat(azure_config(upstream.root_url() + "/openai/v1"), request_for("m", false)); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(error.code().empty());
  CHECK(contains(error.what(), "azure rejected the request (HTTP 400): Unrecognized request argument supplied: foo"));
}

TEST_CASE("azure: a missing key fails before any request, naming the variable") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai");
  config.api_key_env = "WEIR_TEST_AZURE_KEY_NOT_SET";
  unsetenv("WEIR_TEST_AZURE_KEY_NOT_SET");
  auto error = expect_error([&] { run_chat(config, request_for("my-gpt4o", true)); });
  CHECK(error.kind() == ErrorKind::authentication);
  CHECK(contains(error.what(), "$WEIR_TEST_AZURE_KEY_NOT_SET"));
  CHECK(upstream.request_count() == 0);
}

TEST_CASE("azure: describe_request shows the api-key placeholder and the real URL, never the key") {
  ProviderConfig config = azure_config("https://myres.openai.azure.com/openai");
  config.api_key_env = "AZURE_OPENAI_API_KEY";
  auto description = make_provider(config)->describe_request(request_for("my-gpt4o", true));
  CHECK(description["method"] == "POST");
  CHECK(description["url"] ==
        "https://myres.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
  CHECK(description["headers"]["api-key"] == "$AZURE_OPENAI_API_KEY");
  CHECK_FALSE(description["headers"].contains("Authorization"));
  CHECK_FALSE(contains(description.dump(), kKey));

  config.base_url = "https://myres.services.ai.azure.com/models";
  config.headers = {{"api-key", "literal-key-in-config"}};
  description = make_provider(config)->describe_request(request_for("DeepSeek-R1", false));
  CHECK(description["url"] == "https://myres.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview");
  CHECK(description["headers"]["api-key"] == "****");
  CHECK(description["body"]["model"] == "DeepSeek-R1");
}

TEST_CASE("azure: models are listed in the v1 form; the other forms say why they cannot") {
  FakeUpstream upstream;
  upstream.answer_get("/openai/v1/models",
                      {{"object", "list"},
                       {"data", json::array({{{"id", "gpt-4o"}, {"object", "model"}, {"created", 1715558400}},
                                             {{"id", "dall-e-3"}, {"object", "model"}, {"created", 1698796800}}})}});
  auto models = make_provider(azure_config(upstream.root_url() + "/openai/v1"))->models(CancelToken());
  CHECK(models == std::vector<std::string>{"dall-e-3", "gpt-4o"});
  auto sent = upstream.requests().at(0);
  CHECK(sent.method == "GET");
  CHECK(sent.path == "/openai/v1/models");
  CHECK(sent.header("api-key") == kKey);

  auto deployments = expect_error([&] { make_provider(azure_config(upstream.root_url() + "/openai"))->models(CancelToken()); });
  CHECK(deployments.kind() == ErrorKind::usage);
  CHECK(contains(deployments.what(), "cannot list deployments"));
  CHECK(contains(deployments.what(), "az cognitiveservices account deployment list"));
  auto foundry = expect_error([&] { make_provider(azure_config(upstream.root_url() + "/models"))->models(CancelToken()); });
  CHECK(foundry.kind() == ErrorKind::usage);
  CHECK(contains(foundry.what(), "has no model list"));
  CHECK(upstream.request_count() == 1);
}

TEST_CASE("azure: 401, 404 and 429 mean what they mean for every kind") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai");
  SUBCASE("401 names the key variable, never the key") {
    upstream.enqueue(ScriptedResponse::json_body(
        401, {{"error",
               {{"code", "401"},
                {"message", "Access denied due to invalid subscription key or wrong API endpoint."}}}}));
    auto error = expect_error([&] { run_chat(config, request_for("my-gpt4o", true)); });
    CHECK(error.kind() == ErrorKind::authentication);
    CHECK(contains(error.what(), "Access denied due to invalid subscription key"));
    CHECK(contains(error.what(), std::string("$") + kKeyVariable));
    CHECK_FALSE(contains(error.what(), kKey));
  }
  SUBCASE("404 names the deployment") {
    upstream.enqueue(ScriptedResponse::json_body(
        404, {{"error", {{"code", "DeploymentNotFound"},
                         {"message", "The API deployment for this resource does not exist."}}}}));
    auto error = expect_error([&] { run_chat(config, request_for("missing-deployment", true)); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(contains(error.what(), "model 'missing-deployment' or endpoint not found"));
    CHECK(contains(error.what(), "The API deployment for this resource does not exist."));
  }
  SUBCASE("429 is retried, then a rate limit with the wait") {
    config.max_retries = 1;
    auto limited = ScriptedResponse::json_body(
        429,
        {{"error", {{"code", "429"},
                    {"message", "Requests to the ChatCompletions_Create Operation have exceeded token rate limit. "
                                "Please retry after 1 second."}}}},
        {{"retry-after-ms", "10"}, {"Retry-After", "1"}});
    upstream.enqueue(limited);
    upstream.enqueue(limited);
    auto error = expect_error([&] { run_chat(config, request_for("my-gpt4o", true)); });
    CHECK(error.kind() == ErrorKind::rate_limited);
    CHECK(contains(error.what(), "exceeded token rate limit"));
    CHECK(error.retry_after_seconds() == 1);
    CHECK(upstream.request_count() == 2);
  }
}

TEST_CASE("azure: provider add checks the base URL's form; the preset needs one") {
  auto missing = expect_error([] { configure_provider("azure", std::nullopt, {}); });
  CHECK(missing.kind() == ErrorKind::usage);
  CHECK(contains(missing.what(), "needs --base-url"));
  CHECK(contains(missing.what(), "https://RESOURCE.openai.azure.com/openai/v1"));

  ProviderSettings settings;
  settings.base_url = "https://res.openai.azure.com/openai/v1/";
  auto config = configure_provider("azure", std::nullopt, settings);
  CHECK(config.kind == ProviderKind::azure);
  CHECK(config.api_key_env == "AZURE_OPENAI_API_KEY");
  CHECK(config.base_url == "https://res.openai.azure.com/openai/v1");

  settings.base_url = "https://res.openai.azure.com/v1";
  auto wrong = expect_error([&] { configure_provider("azure", std::nullopt, settings); });
  CHECK(wrong.kind() == ErrorKind::usage);
  CHECK(contains(wrong.what(), "is none of Azure's forms"));
}

TEST_CASE("azure: with Entra ID, no key and an Authorization header reference, no api-key is sent") {
  FakeUpstream upstream;
  answer_azure_paths(upstream);
  auto config = azure_config(upstream.root_url() + "/openai/v1");
  config.api_key_env.clear();
  config.headers = {{"Authorization", "Bearer ${WEIR_TEST_AZURE_TOKEN}"}};
  setenv("WEIR_TEST_AZURE_TOKEN", "entra-token-xyz", 1);
  run_chat(config, request_for("gpt-4o", false));
  auto sent = upstream.requests().at(0);
  CHECK(sent.header("Authorization") == "Bearer entra-token-xyz");
  CHECK(sent.header("api-key").empty());
  unsetenv("WEIR_TEST_AZURE_TOKEN");
}
