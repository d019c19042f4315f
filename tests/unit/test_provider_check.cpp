// check_provider (`weir provider test`) against an injected adapter: what it
// asks, with which config, how it times, and how it reports what the
// provider did.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/provider/provider_check.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;

namespace {

// What the adapter saw, shared with the test after the adapter is gone.
struct Seen {
  std::vector<ProviderConfig> configs;
  std::vector<ChatRequest> requests;
  int model_lists = 0;
};

// An adapter whose chat and model list do what the test scripts, each
// advancing a fake clock by the time it "takes".
class ScriptedProvider : public Provider {
 public:
  ScriptedProvider(Seen& seen, std::function<Completion(const ChatRequest&)> chat_script,
                   std::function<std::vector<std::string>()> models_script)
      : seen_(seen), chat_script_(std::move(chat_script)), models_script_(std::move(models_script)) {}
  ProviderCapabilities capabilities() const override { return {}; }
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken&) override {
    seen_.requests.push_back(request);
    Completion completion = chat_script_(request);
    // As every adapter does: the answer is delivered as a delta too.
    StreamDelta delta;
    delta.content = completion.content;
    on_delta(delta);
    return completion;
  }
  json describe_request(const ChatRequest&) const override { return json::object(); }
  std::vector<std::string> models(const CancelToken&) override {
    ++seen_.model_lists;
    return models_script_();
  }
  std::vector<std::vector<float>> embeddings(const std::string&, const std::vector<std::string>&,
                                             const CancelToken&) override {
    return {};
  }

 private:
  Seen& seen_;
  std::function<Completion(const ChatRequest&)> chat_script_;
  std::function<std::vector<std::string>()> models_script_;
};

struct Harness {
  Seen seen;
  std::chrono::steady_clock::time_point now{};
  std::function<Completion(const ChatRequest&)> chat = [this](const ChatRequest&) {
    now += std::chrono::milliseconds(412);
    Completion completion;
    completion.content = "Pong";
    completion.finish_reason = "stop";
    return completion;
  };
  std::function<std::vector<std::string>()> models = [this] {
    now += std::chrono::milliseconds(90);
    return std::vector<std::string>{"model-a", "model-b"};
  };
  ProviderConfig config;

  Harness() {
    config.name = "svc";
    config.max_retries = 3;
  }
  ProviderCheck check(std::optional<std::string> model) {
    ProviderCheckOptions options;
    options.model = std::move(model);
    options.providers = [this](const ProviderConfig& given) {
      seen.configs.push_back(given);
      return std::make_unique<ScriptedProvider>(seen, chat, models);
    };
    options.clock = [this] { return now; };
    return check_provider(config, options, CancelToken());
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("provider check: one tiny non-streamed chat, no retries, timed") {
  Harness harness;
  auto check = harness.check("model-x");
  CHECK(check.ok());
  CHECK(check.provider == "svc");
  CHECK(check.model == "model-x");
  CHECK_FALSE(check.model_listed);
  CHECK(check.latency == std::chrono::milliseconds(412));
  CHECK(check.answer == "Pong");
  CHECK(check.finish_reason == "stop");
  CHECK(harness.seen.model_lists == 0);

  REQUIRE(harness.seen.configs.size() == 1);
  CHECK(harness.seen.configs[0].max_retries == 0);
  CHECK(harness.config.max_retries == 3);  // the caller's config is not changed
  REQUIRE(harness.seen.requests.size() == 1);
  const auto& request = harness.seen.requests[0];
  CHECK(request.model == "model-x");
  CHECK_FALSE(request.stream);
  CHECK(request.sampling.max_tokens == kCheckMaxTokens);
  CHECK(request.messages == json::array({{{"role", "user"}, {"content", kCheckPrompt}}}));

  CHECK(check.to_json() == json{{"provider", "svc"},
                                {"model", "model-x"},
                                {"ok", true},
                                {"latency_ms", 412},
                                {"answer", "Pong"},
                                {"finish_reason", "stop"}});
}

TEST_CASE("provider check: without a model, the first listed one; the chat alone is timed") {
  Harness harness;
  auto check = harness.check(std::nullopt);
  CHECK(check.ok());
  CHECK(check.model == "model-a");
  CHECK(check.model_listed);
  CHECK(check.listed_models == 2);
  CHECK(check.latency == std::chrono::milliseconds(412));
  CHECK(harness.seen.model_lists == 1);
  REQUIRE(harness.seen.requests.size() == 1);
  CHECK(harness.seen.requests[0].model == "model-a");
}

TEST_CASE("provider check: the provider's failure is the result, with the error's kind, code and message") {
  Harness harness;
  harness.chat = [&harness](const ChatRequest&) -> Completion {
    harness.now += std::chrono::milliseconds(37);
    throw Error(ErrorKind::authentication, "svc rejected the API key (HTTP 401): bad key; check $SVC_KEY");
  };
  auto check = harness.check("model-x");
  CHECK_FALSE(check.ok());
  REQUIRE(check.failure.has_value());
  CHECK(check.failure->kind == ErrorKind::authentication);
  CHECK(check.failure->code == "invalid_api_key");
  CHECK(check.failure->message == "svc rejected the API key (HTTP 401): bad key; check $SVC_KEY");
  CHECK(check.latency == std::chrono::milliseconds(37));
  CHECK(check.to_json() == json{{"provider", "svc"},
                                {"model", "model-x"},
                                {"ok", false},
                                {"latency_ms", 37},
                                {"error",
                                 {{"kind", "authentication"},
                                  {"code", "invalid_api_key"},
                                  {"message", "svc rejected the API key (HTTP 401): bad key; check $SVC_KEY"}}}});

  // A code the error carries is kept; a usage error from the provider (a
  // context too long) is the provider's answer too.
  harness.chat = [](const ChatRequest&) -> Completion {
    throw Error(ErrorKind::usage, "too long", "context_length_exceeded");
  };
  auto too_long = harness.check("model-x");
  REQUIRE(too_long.failure.has_value());
  CHECK(too_long.failure->kind == ErrorKind::usage);
  CHECK(too_long.failure->code == "context_length_exceeded");
}

TEST_CASE("provider check: a failing model list is the result; a kind that cannot list asks for --model") {
  Harness harness;
  harness.models = [&harness]() -> std::vector<std::string> {
    harness.now += std::chrono::milliseconds(5);
    throw Error(ErrorKind::upstream, "svc: could not connect to 127.0.0.1:1 (connection refused)");
  };
  auto check = harness.check(std::nullopt);
  REQUIRE(check.failure.has_value());
  CHECK(check.failure->kind == ErrorKind::upstream);
  CHECK(check.failure->message == "svc: could not connect to 127.0.0.1:1 (connection refused)");
  CHECK(check.model.empty());
  CHECK(check.latency == std::chrono::milliseconds(5));
  CHECK(harness.seen.requests.empty());

  harness.models = []() -> std::vector<std::string> {
    throw Error(ErrorKind::usage, "provider 'svc' uses Azure's deployments URL form, whose API cannot list deployments");
  };
  auto cannot_list = expect_error([&] { harness.check(std::nullopt); });
  CHECK(cannot_list.kind() == ErrorKind::usage);
  CHECK(contains(cannot_list.what(), "cannot list deployments"));
  CHECK(contains(cannot_list.what(), "--model MODEL"));

  harness.models = [] { return std::vector<std::string>{}; };
  auto none = expect_error([&] { harness.check(std::nullopt); });
  CHECK(none.kind() == ErrorKind::usage);
  CHECK(contains(none.what(), "lists no models"));
  CHECK(contains(none.what(), "--model MODEL"));

  auto empty = expect_error([&] { harness.check(std::string()); });
  CHECK(empty.kind() == ErrorKind::usage);
  CHECK(harness.seen.requests.empty());
}

TEST_CASE("provider check: the caller's cancel is thrown, not reported") {
  Harness harness;
  harness.chat = [](const ChatRequest&) -> Completion { throw Error(ErrorKind::interrupted, "cancelled"); };
  CHECK(expect_error([&] { harness.check("model-x"); }).kind() == ErrorKind::interrupted);
}
