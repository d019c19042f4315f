// What an upstream's HTTP error means, for every OpenAI-wire kind: one row per
// answer (status, body) with the weir::Error kind, code and message it must
// become (upstream_call's throw_for_status).
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/provider/upstream_call.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

struct Row {
  std::string what;
  int status;
  std::string body;
  ErrorKind kind;
  std::string code;     // "" : the kind's default
  std::string message;  // a part the message must hold
  bool retryable;
};

const std::vector<Row> kRows = {
    {"OpenAI context length", 400,
     R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})",
     ErrorKind::usage, "context_length_exceeded", "too long for the model (HTTP 400): This model's maximum context length",
     false},
    {"vLLM context length (no code)", 400,
     R"({"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400})",
     ErrorKind::usage, "context_length_exceeded", "maximum context length is 4096 tokens", false},
    {"llama.cpp server context size", 400,
     R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}})",
     ErrorKind::usage, "context_length_exceeded", "exceeds the available context size", false},
    {"Azure content filter", 400,
     R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400}})",
     ErrorKind::usage, "content_filter", "the prompt was filtered by Azure's content filter (HTTP 400)", false},
    {"another 400", 400, R"({"error":{"message":"Invalid value for 'temperature'","code":"invalid_value"}})",
     ErrorKind::upstream, "", "rejected the request (HTTP 400): Invalid value for 'temperature'", false},
    {"401", 401, R"({"error":{"message":"Incorrect API key provided"}})", ErrorKind::authentication, "",
     "rejected the API key (HTTP 401): Incorrect API key provided", false},
    {"429", 429, R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})", ErrorKind::rate_limited,
     "", "is rate limiting requests (HTTP 429): Rate limit reached", true},
    {"529 overloaded", 529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
     ErrorKind::rate_limited, "", "is overloaded (HTTP 529): Overloaded", true},
    {"503 overloaded", 503, R"({"error":{"message":"The engine is currently overloaded, please try again later"}})",
     ErrorKind::rate_limited, "", "is overloaded (HTTP 503)", true},
    {"503 maintenance", 503, R"({"error":{"message":"down for maintenance"}})", ErrorKind::upstream, "",
     "answered HTTP 503: down for maintenance", true},
};

}  // namespace

TEST_CASE("upstream status: each error answer becomes the error it means") {
  ProviderConfig config;
  config.name = "svc";
  for (const auto& row : kRows) {
    CAPTURE(row.what);
    HttpResponseHead head;
    head.status = row.status;
    bool retryable = false;
    auto error = expect_error([&] {
      try {
        throw_for_status(config, "https://svc.example/v1/chat/completions", "m", head, row.body);
      } catch (const RetryableFailure&) {
        retryable = true;
        throw;
      }
    });
    CHECK(error.kind() == row.kind);
    CHECK(error.code() == row.code);
    CHECK(std::string(error.what()).find(row.message) != std::string::npos);
    CHECK(retryable == row.retryable);
  }
}

TEST_CASE("upstream status: an adapter's reading sees the head and may call an answer overload") {
  ProviderConfig config;
  config.name = "svc";
  // A service that names its error in a header, as Bedrock's x-amzn-ErrorType does.
  const ErrorReading reading = [](const HttpResponseHead& head, std::string_view) -> std::optional<ErrorKind> {
    if (head.header("x-error-type").value_or("").rfind("Busy:", 0) == 0) return ErrorKind::rate_limited;
    return std::nullopt;
  };
  HttpResponseHead head;
  head.status = 503;
  head.headers = {{"x-error-type", "Busy:http://svc.example/errors"}, {"retry-after", "2"}};
  const std::string body = R"({"message":"unable to process your request"})";

  std::optional<std::chrono::milliseconds> retry_after;
  auto error = expect_error([&] {
    try {
      throw_for_status(config, "https://svc.example/v1/chat", "m", head, body, reading);
    } catch (const RetryableFailure& failure) {
      retry_after = failure.retry_after();
      throw;
    }
  });
  CHECK(error.kind() == ErrorKind::rate_limited);
  CHECK(std::string(error.what()) == "svc is overloaded (HTTP 503): unable to process your request");
  REQUIRE(retry_after.has_value());
  CHECK(*retry_after == std::chrono::milliseconds(2000));

  // Without the reading the same answer is a plain 503: retried, then an upstream error.
  auto plain = expect_error([&] { throw_for_status(config, "https://svc.example/v1/chat", "m", head, body); });
  CHECK(plain.kind() == ErrorKind::upstream);
  CHECK(std::string(plain.what()).find("answered HTTP 503") != std::string::npos);

  // The reading wins over the status, and only where it speaks.
  head.status = 400;
  auto overloaded_400 = expect_error([&] { throw_for_status(config, "u", "m", head, body, reading); });
  CHECK(overloaded_400.kind() == ErrorKind::rate_limited);
  head.headers = {{"x-error-type", "Invalid:http://svc.example/errors"}};
  auto silent = expect_error([&] { throw_for_status(config, "u", "m", head, body, reading); });
  CHECK(silent.kind() == ErrorKind::upstream);
  CHECK(std::string(silent.what()).find("rejected the request (HTTP 400)") != std::string::npos);
}
