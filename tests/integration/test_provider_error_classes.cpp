// Provider errors keep their meaning whatever the provider's kind: through
// `weir chat` (exit codes) and `weir serve` (HTTP statuses and OpenAI error
// objects), a rejected key is 5 / 401, a rate limit or an overload is retried
// and then 6 / 429, a context too long is 2 / 400 with the upstream's message.
//
// Table-driven both ways: kKinds says how a kind is set up against the fake
// upstream (its paths, credentials and environment) and how its error answers
// are written; kClasses says what each error class must become. Adding a kind
// is adding a row to kKinds (with its paths and its error dialect).
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

enum class ErrorClass { authentication, rate_limit, overload, context_too_long };

// The secret every kind's credentials hold; it must never reach the user.
const std::string kSecret = "sk-error-class-test";

// How one provider kind meets the fake upstream.
struct KindSetup {
  std::string kind;
  std::function<std::string(const FakeUpstream&)> base_url;
  std::vector<std::string> answered_paths;  // POST paths the fake must answer (regexes)
  std::string model;
  // The kind's answer for an error class, in its own wire dialect.
  std::function<ScriptedResponse(ErrorClass)> answer;
  // The upstream's own text that must reach the user for each class.
  std::function<std::string(ErrorClass)> upstream_text;
  // How `provider add` gives the kind its credentials, and the environment
  // they come from (holding kSecret).
  std::vector<std::string> credential_flags = {"--api-key-env", "WEIR_TEST_ERROR_CLASS_KEY"};
  std::map<std::string, std::string> environment = {{"WEIR_TEST_ERROR_CLASS_KEY", kSecret}};
  // What weir says of rejected credentials (an API key unless the kind signs
  // with something else).
  std::string rejected_credentials_words = "rejected the API key";
};

// OpenAI's error dialect, which Azure shares (its codes are strings too).
ScriptedResponse openai_wire_answer(ErrorClass error_class, const std::string& rate_text) {
  switch (error_class) {
    case ErrorClass::authentication:
      return ScriptedResponse::json_body(
          401, {{"error", {{"message", "Incorrect API key provided: wr***ey."}, {"type", "invalid_request_error"},
                           {"code", "invalid_api_key"}}}});
    case ErrorClass::rate_limit:
      return ScriptedResponse::json_body(
          429, {{"error", {{"message", rate_text}, {"type", "requests"}, {"code", "rate_limit_exceeded"}}}},
          {{"Retry-After", "0"}});
    case ErrorClass::overload:
      return ScriptedResponse::json_body(
          503, {{"error", {{"message", "The engine is currently overloaded, please try again later"},
                           {"type", "server_error"}}}},
          {{"Retry-After", "0"}});
    case ErrorClass::context_too_long:
      break;
  }
  return ScriptedResponse::json_body(
      400, {{"error", {{"message", "This model's maximum context length is 8192 tokens. However, your messages "
                                   "resulted in 9100 tokens. Please reduce the length of the messages."},
                       {"type", "invalid_request_error"},
                       {"param", "messages"},
                       {"code", "context_length_exceeded"}}}});
}

std::string openai_wire_text(ErrorClass error_class, const std::string& rate_text) {
  switch (error_class) {
    case ErrorClass::authentication: return "Incorrect API key provided";
    case ErrorClass::rate_limit: return rate_text;
    case ErrorClass::overload: return "The engine is currently overloaded";
    case ErrorClass::context_too_long: break;
  }
  return "This model's maximum context length is 8192 tokens";
}

const std::string kAzureRateText =
    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded "
    "token rate limit of your current OpenAI S0 pricing tier.";

// Anthropic's dialect (Messages API errors): {"type":"error","error":{"type","message"}}.
ScriptedResponse anthropic_answer(ErrorClass error_class) {
  auto error = [](int status, const std::string& type, const std::string& message) {
    return ScriptedResponse::json_body(status, {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}},
                                       {{"Retry-After", "0"}});
  };
  switch (error_class) {
    case ErrorClass::authentication: return error(401, "authentication_error", "invalid x-api-key");
    case ErrorClass::rate_limit:
      return error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit");
    case ErrorClass::overload: return error(529, "overloaded_error", "Overloaded");
    case ErrorClass::context_too_long: break;
  }
  return error(400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum");
}

std::string anthropic_text(ErrorClass error_class) {
  switch (error_class) {
    case ErrorClass::authentication: return "invalid x-api-key";
    case ErrorClass::rate_limit: return "exceeded your per-minute rate limit";
    case ErrorClass::overload: return "Overloaded";
    case ErrorClass::context_too_long: break;
  }
  return "prompt is too long: 208310 tokens > 200000 maximum";
}

// Google's dialect (google.rpc.Status): {"error":{"code","message","status","details"}};
// a bad key is a 400 INVALID_ARGUMENT whose details say API_KEY_INVALID.
ScriptedResponse gemini_answer(ErrorClass error_class) {
  auto error = [](int status, const std::string& code, const std::string& message, json details = json::array()) {
    return ScriptedResponse::json_body(
        status, {{"error", {{"code", status}, {"message", message}, {"status", code}, {"details", details}}}},
        {{"Retry-After", "0"}});
  };
  switch (error_class) {
    case ErrorClass::authentication:
      return error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                   json::array({{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                 {"reason", "API_KEY_INVALID"},
                                 {"domain", "googleapis.com"}}}));
    case ErrorClass::rate_limit:
      return error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
    case ErrorClass::overload:
      return error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
    case ErrorClass::context_too_long: break;
  }
  return error(400, "INVALID_ARGUMENT",
               "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).");
}

std::string gemini_text(ErrorClass error_class) {
  switch (error_class) {
    case ErrorClass::authentication: return "API key not valid";
    case ErrorClass::rate_limit: return "Resource has been exhausted";
    case ErrorClass::overload: return "The model is overloaded";
    case ErrorClass::context_too_long: break;
  }
  return "exceeds the maximum number of tokens allowed (1048576)";
}

// Bedrock's dialect (AWS JSON protocol): {"message": ...}, the error's type in
// the x-amzn-ErrorType header. Overload is a 503 ServiceUnavailableException.
ScriptedResponse bedrock_answer(ErrorClass error_class) {
  auto error = [](int status, const std::string& type, const std::string& message) {
    return ScriptedResponse::json_body(
        status, {{"message", message}},
        {{"x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}, {"Retry-After", "0"}});
  };
  switch (error_class) {
    case ErrorClass::authentication:
      return error(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
    case ErrorClass::rate_limit:
      return error(429, "ThrottlingException", "Too many requests, please wait before trying again.");
    case ErrorClass::overload:
      return error(503, "ServiceUnavailableException", "Bedrock is unable to process your request.");
    case ErrorClass::context_too_long: break;
  }
  return error(400, "ValidationException", "Input is too long for requested model.");
}

std::string bedrock_text(ErrorClass error_class) {
  switch (error_class) {
    case ErrorClass::authentication: return "The security token included in the request is invalid.";
    case ErrorClass::rate_limit: return "Too many requests, please wait before trying again.";
    case ErrorClass::overload: return "Bedrock is unable to process your request.";
    case ErrorClass::context_too_long: break;
  }
  return "Input is too long for requested model.";
}

const std::vector<KindSetup> kKinds = {
    {.kind = "openai",
     .base_url = [](const FakeUpstream& upstream) { return upstream.base_url(); },
     .answered_paths = {},
     .model = "fake-model",
     .answer = [](ErrorClass error_class) { return openai_wire_answer(error_class, "Rate limit reached for requests"); },
     .upstream_text = [](ErrorClass error_class) { return openai_wire_text(error_class, "Rate limit reached for requests"); }},
    {.kind = "azure",
     .base_url = [](const FakeUpstream& upstream) { return upstream.root_url() + "/openai"; },
     .answered_paths = {"/openai/deployments/[^/]+/chat/completions"},
     .model = "my-deployment",
     .answer = [](ErrorClass error_class) { return openai_wire_answer(error_class, kAzureRateText); },
     .upstream_text = [](ErrorClass error_class) { return openai_wire_text(error_class, kAzureRateText); }},
    {.kind = "anthropic",
     .base_url = [](const FakeUpstream& upstream) { return upstream.base_url(); },
     .answered_paths = {"/v1/messages"},
     .model = "claude-fake",
     .answer = anthropic_answer,
     .upstream_text = anthropic_text},
    {.kind = "gemini",
     .base_url = [](const FakeUpstream& upstream) { return upstream.root_url() + "/v1beta"; },
     .answered_paths = {"/v1beta/models/[^/]+:(generateContent|streamGenerateContent)"},
     .model = "gemini-fake",
     .answer = gemini_answer,
     .upstream_text = gemini_text},
    // Bedrock signs with AWS credentials (SigV4), not an API key.
    {.kind = "bedrock",
     .base_url = [](const FakeUpstream& upstream) { return upstream.root_url(); },
     .answered_paths = {"/model/[^/]+/(converse|converse-stream)"},
     .model = "anthropic.claude-3-haiku-20240307-v1:0",
     .answer = bedrock_answer,
     .upstream_text = bedrock_text,
     .credential_flags = {"--region", "us-east-1"},
     .environment = {{"AWS_ACCESS_KEY_ID", "AKIDERRORCLASS"},
                     {"AWS_SECRET_ACCESS_KEY", kSecret},
                     {"AWS_SESSION_TOKEN", ""},
                     {"AWS_REGION", ""},
                     {"AWS_PROFILE", ""}},
     .rejected_credentials_words = "rejected the AWS credentials"},
};

// What each class must become.
struct ClassExpectation {
  ErrorClass error_class;
  std::string name;
  int exit_code;
  int http_status;
  std::string error_code;  // the error object's "code"
  bool retried;
  std::string our_words;   // what weir adds to the upstream's text ("": the kind's own words)
};

const std::vector<ClassExpectation> kClasses = {
    {ErrorClass::authentication, "authentication", 5, 401, "invalid_api_key", false, ""},
    {ErrorClass::rate_limit, "rate limit", 6, 429, "rate_limit_exceeded", true, "is rate limiting requests"},
    {ErrorClass::overload, "overload", 6, 429, "rate_limit_exceeded", true, "is overloaded"},
    {ErrorClass::context_too_long, "context too long", 2, 400, "context_length_exceeded", false,
     "too long for the model"},
};

constexpr int kMaxRetries = 1;

struct Fixture {
  FakeUpstream upstream;
  WeirHome home;

  Fixture() {
    for (const auto& kind : kKinds) {
      home.environment.insert(kind.environment.begin(), kind.environment.end());
      for (const auto& path : kind.answered_paths) upstream.answer_posts_matching(path);
      std::vector<std::string> add = {"provider",   "add", "p-" + kind.kind, "--kind", kind.kind, "--base-url",
                                      kind.base_url(upstream), "--max-retries", std::to_string(kMaxRetries)};
      add.insert(add.end(), kind.credential_flags.begin(), kind.credential_flags.end());
      run_ok(add);
      run_ok({"gateway", "create", "g-" + kind.kind, "--provider", "p-" + kind.kind, "--model", kind.model});
    }
  }
  void run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("provider error classes: the same exit codes and HTTP statuses for every kind") {
  Fixture fixture;
  ServeProcess serve(fixture.home);
  for (const auto& kind : kKinds) {
    for (const auto& expected : kClasses) {
      CAPTURE(kind.kind);
      CAPTURE(expected.name);
      fixture.upstream.set_default(kind.answer(expected.error_class));
      const std::string upstream_text = kind.upstream_text(expected.error_class);
      const std::string our_words =
          expected.our_words.empty() ? kind.rejected_credentials_words : expected.our_words;
      const size_t attempts = expected.retried ? 1 + kMaxRetries : 1;

      size_t before = fixture.upstream.request_count();
      auto chat = fixture.home.run({"chat", "g-" + kind.kind, "hello"});
      CHECK(chat.exit_code == expected.exit_code);
      CHECK(contains(chat.err, upstream_text));
      CHECK(contains(chat.err, our_words));
      CHECK_FALSE(contains(chat.err, kSecret));
      CHECK(chat.out.empty());
      CHECK(fixture.upstream.request_count() - before == attempts);

      for (bool stream : {false, true}) {
        CAPTURE(stream);
        before = fixture.upstream.request_count();
        auto reply = http_request(serve.port(), "POST", "/v1/chat/completions",
                                  json{{"model", "g-" + kind.kind},
                                       {"messages", json::array({{{"role", "user"}, {"content", "hello"}}})},
                                       {"stream", stream}}
                                      .dump());
        CHECK(reply.status == expected.http_status);
        auto body = json::parse(reply.body, nullptr, false);
        INFO(reply.body);
        REQUIRE(body.is_object());
        REQUIRE(body.contains("error"));
        CHECK(body["error"]["code"] == expected.error_code);
        std::string message = body["error"].value("message", "");
        CHECK(contains(message, upstream_text));
        CHECK(contains(message, our_words));
        CHECK_FALSE(contains(reply.raw, kSecret));
        CHECK(fixture.upstream.request_count() - before == attempts);
      }
    }
  }
}
