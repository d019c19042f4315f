// RoutedProvider against scripted targets, with a fake clock, recorded waits
// and a seeded generator: the order of fallback, nothing falling over after
// the first token, retries honoured and bounded, the deadline, the circuit
// breaker opening, skipping and recovering, the weighted draw of load
// balancing (a chi-square test), complexity tiers, and what is reported.
#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/net/http_client.hpp"
#include "core/routing/routed_provider.hpp"
#include "tests/support/expect_error.hpp"

using namespace weir;
using weir::testing::expect_error;
using std::chrono::milliseconds;

namespace {

// One scripted answer: deltas, then an error (thrown after them) or the end.
struct Step {
  std::vector<StreamDelta> deltas;
  std::function<void()> fail;  // throws; empty: the answer completes
  milliseconds takes{5};       // advanced on the fake clock
};

struct FakeWorld;

// What a target saw and will answer.
struct TargetScript {
  std::deque<Step> steps;
  std::vector<ChatRequest> requests;
  std::vector<ProviderConfig> configs;  // of every adapter made for it
  ProviderCapabilities capabilities;
};

struct FakeWorld {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  std::vector<milliseconds> waits;
  std::map<std::string, std::shared_ptr<TargetScript>> targets;  // by provider name
  std::vector<BreakerTransition> transitions;
  std::shared_ptr<RoutingState> state;

  FakeWorld() {
    state = std::make_shared<RoutingState>([this] { return now; },
                                           [this](milliseconds wait, const CancelToken&) {
                                             waits.push_back(wait);
                                             now += wait;
                                           },
                                           20261202);
    state->breakers().set_listener([this](const BreakerTransition& transition) { transitions.push_back(transition); });
  }

  TargetScript& target(const std::string& provider) {
    auto& script = targets[provider];
    if (!script) script = std::make_shared<TargetScript>();
    return *script;
  }
};

class ScriptedAdapter final : public Provider {
 public:
  ScriptedAdapter(FakeWorld& world, std::shared_ptr<TargetScript> script) : world_(world), script_(std::move(script)) {}
  ProviderCapabilities capabilities() const override { return script_->capabilities; }
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken&) override {
    script_->requests.push_back(request);
    REQUIRE_MESSAGE(!script_->steps.empty(), "a target was called more often than scripted");
    Step step = script_->steps.front();
    script_->steps.pop_front();
    world_.now += step.takes;
    Completion completion;
    for (const auto& delta : step.deltas) {
      completion.apply(delta);
      on_delta(delta);
    }
    if (step.fail) step.fail();
    return completion;
  }
  json describe_request(const ChatRequest& request) const override { return {{"model", request.model}}; }
  std::vector<std::string> models(const CancelToken&) override { return {"m"}; }
  std::vector<std::vector<float>> embeddings(const std::string&, const std::vector<std::string>&,
                                             const CancelToken&) override {
    return {};
  }

 private:
  FakeWorld& world_;
  std::shared_ptr<TargetScript> script_;
};

StreamDelta text(std::string content) {
  StreamDelta delta;
  delta.content = std::move(content);
  return delta;
}

StreamDelta finish(int64_t prompt = 10, int64_t completion = 3) {
  StreamDelta delta;
  delta.finish_reason = "stop";
  delta.usage = Usage{prompt, completion, 0, 0, 0};
  return delta;
}

Step answers(const std::string& content) { return Step{{text(content), finish()}, {}, milliseconds(5)}; }

Step fails_with_status(int status, ErrorKind kind = ErrorKind::upstream, int retry_after_seconds = 0) {
  return Step{{},
              [=] {
                Error error(kind, "the upstream answered HTTP " + std::to_string(status));
                error.set_upstream_status(status);
                error.set_retry_after_seconds(retry_after_seconds);
                throw error;
              },
              milliseconds(5)};
}

Step refuses_connection() {
  return Step{{}, [] { throw HttpConnectionError(ErrorKind::upstream, "connection refused"); }, milliseconds(1)};
}

Step times_out(milliseconds after) {
  return Step{{}, [] { throw Error(ErrorKind::upstream_timeout, "sent nothing (idle timeout)"); }, after};
}

RouteTarget target(const std::string& provider, const std::string& model, double weight = 1) {
  RouteTarget routed;
  routed.provider = provider;
  routed.model = model;
  routed.weight = weight;
  return routed;
}

RoutingSettings settings_for(std::vector<RouteTarget> targets, RoutingMode mode = RoutingMode::fallback) {
  RoutingSettings settings;
  settings.targets = std::move(targets);
  settings.mode = mode;
  const std::set<FailureClass> defaults = {FailureClass::connection, FailureClass::timeout, FailureClass::rate_limit,
                                           FailureClass::server_error};
  settings.retry_on = defaults;
  settings.fall_through = defaults;
  return settings;
}

struct Router {
  FakeWorld& world;
  std::shared_ptr<RoutingReport> report = std::make_shared<RoutingReport>();
  std::unique_ptr<RoutedProvider> provider;

  Router(FakeWorld& fake_world, const RoutingSettings& settings) : world(fake_world) {
    auto shared_plan = std::make_shared<RoutePlan>();
    RoutePlan& plan = *shared_plan;
    plan.settings = settings;
    for (const auto& routed : settings.targets) {
      ProviderConfig config;
      config.name = routed.provider;
      config.max_retries = 2;
      config.total_timeout_ms = 600'000;
      plan.providers.push_back(config);
    }
    if (!settings.router_model.empty()) {
      auto slash = settings.router_model.find('/');
      ProviderConfig config;
      config.name = settings.router_model.substr(0, slash);
      plan.router_provider = config;
      plan.router_model = settings.router_model.substr(slash + 1);
    }
    FakeWorld* world_pointer = &world;
    ProviderFactory factory = [world_pointer](const ProviderConfig& config) -> std::unique_ptr<Provider> {
      auto& script = world_pointer->target(config.name);
      script.configs.push_back(config);
      return std::make_unique<ScriptedAdapter>(*world_pointer, world_pointer->targets[config.name]);
    };
    provider = std::make_unique<RoutedProvider>(shared_plan, factory, world.state, report);
  }

  // One model call; the text that reached the caller.
  std::string call(std::string* seen = nullptr, const std::string& message = "hello") {
    ChatRequest request;
    request.model = "first-model";
    request.messages = json::array({{{"role", "user"}, {"content", message}}});
    std::string delivered;
    auto completion = provider->chat(request, [&](const StreamDelta& delta) { delivered += delta.content; },
                                     CancelToken());
    if (seen) *seen = delivered;
    return completion.content;
  }

  std::vector<std::string> outcomes() const {
    std::vector<std::string> lines;
    for (const auto& attempt : report->attempts) lines.push_back(attempt.target + " " + attempt.outcome + " " + attempt.next);
    return lines;
  }
};

}  // namespace

TEST_CASE("fallback: targets in order, each failure class moving on, the served target reported") {
  FakeWorld world;
  world.target("a").steps = {fails_with_status(500)};
  world.target("b").steps = {refuses_connection()};
  world.target("c").steps = {answers("from c")};
  Router router(world, settings_for({target("a", "ma"), target("b", "mb"), target("c", "mc")}));

  CHECK(router.call() == "from c");
  CHECK(router.outcomes() == std::vector<std::string>{"a/ma failed fall through", "b/mb failed fall through",
                                                      "c/mc ok served"});
  CHECK(router.report->attempts[0].failure == FailureClass::server_error);
  CHECK(router.report->attempts[0].status == 500);
  CHECK(router.report->attempts[1].failure == FailureClass::connection);
  CHECK(router.report->served_provider == "c");
  CHECK(router.report->served_model == "mc");
  REQUIRE(router.report->usage.size() == 1);
  CHECK(router.report->usage[0].usage.prompt_tokens == 10);
  // Each target got its own model; no adapter retries on its own.
  CHECK(world.target("c").requests.at(0).model == "mc");
  for (const auto& [name, script] : world.targets)
    for (const auto& config : script->configs) CHECK(config.max_retries == 0);
  auto reported = router.report->to_json();
  CHECK(reported["served"]["target"] == "c/mc");
  CHECK(reported["attempts"].size() == 3);
  CHECK(reported["attempts"][0]["failure"] == "server_error");
}

TEST_CASE("streaming: nothing falls over once a token reached the caller; a content-free delta is not one") {
  FakeWorld world;
  StreamDelta role_only;
  world.target("a").steps = {Step{{role_only}, [] { throw Error(ErrorKind::upstream, "stream ended early"); }},
                             Step{{text("Hel")}, [] { throw Error(ErrorKind::upstream, "stream ended early"); }}};
  world.target("b").steps = {answers("from b")};
  Router router(world, settings_for({target("a", "ma"), target("b", "mb")}));

  // Only a role chunk had arrived: b answers.
  std::string seen;
  CHECK(router.call(&seen) == "from b");
  CHECK(seen == "from b");

  // "Hel" reached the caller: the error ends the call, b is not asked.
  Router second(world, settings_for({target("a", "ma"), target("b", "mb")}));
  auto error = expect_error([&] { second.call(); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(std::string(error.what()) == "stream ended early");
  CHECK(second.outcomes() == std::vector<std::string>{"a/ma failed stop"});
  CHECK(world.target("b").steps.empty());
}

TEST_CASE("usage: a try that failed after its usage arrived is charged to its target, which did not serve") {
  FakeWorld world;
  StreamDelta usage_only;
  usage_only.usage = Usage{40, 7, 0, 0, 0};
  world.target("a").steps = {Step{{text("par"), usage_only}, [] { throw Error(ErrorKind::upstream, "cut off"); }}};
  Router router(world, settings_for({target("a", "ma"), target("b", "mb")}));
  CHECK(expect_error([&] { router.call(); }).kind() == ErrorKind::upstream);
  REQUIRE(router.report->usage.size() == 1);
  CHECK(router.report->usage[0].provider == "a");
  CHECK(router.report->usage[0].usage.prompt_tokens == 40);
  CHECK(router.report->usage[0].usage.completion_tokens == 7);
  CHECK(router.report->served_provider.empty());
}

TEST_CASE("retries: bounded by attempts, Retry-After honoured up to the cap, backoff doubling, then fall through") {
  FakeWorld world;
  auto settings = settings_for({target("a", "ma"), target("b", "mb")});
  settings.attempts = 3;
  settings.backoff_ms = 100;
  settings.max_retry_after_ms = 5'000;

  SUBCASE("429 with Retry-After: waits what the upstream asked") {
    world.target("a").steps = {fails_with_status(429, ErrorKind::rate_limited, 2),
                               fails_with_status(429, ErrorKind::rate_limited, 3), answers("from a")};
    Router router(world, settings);
    CHECK(router.call() == "from a");
    CHECK(world.waits == std::vector<milliseconds>{milliseconds(2000), milliseconds(3000)});
    CHECK(router.outcomes() == std::vector<std::string>{"a/ma failed retry", "a/ma failed retry", "a/ma ok served"});
    CHECK(router.report->tries() == 3);
  }
  SUBCASE("a Retry-After beyond the cap is not waited for: the next target answers at once") {
    world.target("a").steps = {fails_with_status(429, ErrorKind::rate_limited, 60)};
    world.target("b").steps = {answers("from b")};
    Router router(world, settings);
    CHECK(router.call() == "from b");
    CHECK(world.waits.empty());
  }
  SUBCASE("5xx: doubling backoff with jitter, three tries, then the next target") {
    world.target("a").steps = {fails_with_status(503), fails_with_status(502), fails_with_status(500)};
    world.target("b").steps = {answers("from b")};
    Router router(world, settings);
    CHECK(router.call() == "from b");
    REQUIRE(world.waits.size() == 2);
    CHECK(world.waits[0] >= milliseconds(50));
    CHECK(world.waits[0] <= milliseconds(150));
    CHECK(world.waits[1] >= milliseconds(100));
    CHECK(world.waits[1] <= milliseconds(300));
    CHECK(world.target("a").requests.size() == 3);
  }
  SUBCASE("a class outside retry_on moves on without retrying; one outside fall_through ends the call") {
    settings.retry_on = {FailureClass::rate_limit};
    world.target("a").steps = {fails_with_status(500)};
    world.target("b").steps = {Step{{}, [] {
                                      Error error(ErrorKind::usage, "prompt is too long", "context_length_exceeded");
                                      error.set_upstream_status(400);
                                      throw error;
                                    }}};
    Router router(world, settings);
    auto error = expect_error([&] { router.call(); });
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(error.code() == "context_length_exceeded");
    CHECK(router.outcomes() == std::vector<std::string>{"a/ma failed fall through", "b/mb failed stop"});
    CHECK(world.waits.empty());
  }
}

TEST_CASE("every target failing: the last failure's kind, each target's failure in the message") {
  FakeWorld world;
  world.target("a").steps = {fails_with_status(500)};
  world.target("b").steps = {fails_with_status(429, ErrorKind::rate_limited, 7)};
  Router router(world, settings_for({target("a", "ma"), target("b", "mb")}));
  auto error = expect_error([&] { router.call(); });
  CHECK(error.kind() == ErrorKind::rate_limited);
  CHECK(error.retry_after_seconds() == 7);
  CHECK(error.upstream_status() == 429);
  std::string message = error.what();
  CHECK(message.find("every target failed (2 tries)") != std::string::npos);
  CHECK(message.find("a/ma: the upstream answered HTTP 500") != std::string::npos);
  CHECK(message.find("b/mb: the upstream answered HTTP 429") != std::string::npos);
}

TEST_CASE("the total deadline bounds tries and waits, and shortens the last try's timeout") {
  FakeWorld world;
  auto settings = settings_for({target("a", "ma"), target("b", "mb")});
  settings.attempts = 5;
  settings.backoff_ms = 10;
  settings.total_timeout_ms = 1000;
  world.target("a").steps = {times_out(milliseconds(400)), times_out(milliseconds(400)),
                             times_out(milliseconds(400))};
  Router router(world, settings);
  auto error = expect_error([&] { router.call(); });
  CHECK(error.kind() == ErrorKind::upstream_timeout);
  CHECK(std::string(error.what()).find("routing deadline of 1000 ms") != std::string::npos);
  // Three tries fit before the deadline; the third was given only what was left.
  CHECK(world.target("a").requests.size() == 3);
  const auto& configs = world.target("a").configs;
  CHECK(configs.back().total_timeout_ms < 300);
  CHECK(configs.back().total_timeout_ms > 0);
  CHECK(world.target("b").requests.empty());
}

TEST_CASE("circuit breaker: opens after N failures in a row, skips, lets one probe through after the cooldown") {
  FakeWorld world;
  auto settings = settings_for({target("a", "ma"), target("b", "mb")});
  settings.breaker_failures = 2;
  settings.breaker_cooldown_ms = 10'000;
  world.target("a").steps = {fails_with_status(500), fails_with_status(500), fails_with_status(500), answers("a back")};
  world.target("b").steps = {answers("b1"), answers("b2"), answers("b3"), answers("b4")};

  auto request = [&] {
    Router router(world, settings);
    auto content = router.call();
    return std::make_pair(content, router.outcomes());
  };
  CHECK(request().first == "b1");
  CHECK(world.state->breakers().state("a/ma") == BreakerState::closed);
  CHECK(request().first == "b2");  // the second failure in a row opens it
  CHECK(world.state->breakers().state("a/ma") == BreakerState::open);
  REQUIRE(world.transitions.size() == 1);
  CHECK(world.transitions[0].to == BreakerState::open);

  auto skipped = request();
  CHECK(skipped.first == "b3");
  CHECK(skipped.second.front() == "a/ma skipped skip");
  CHECK(world.target("a").requests.size() == 2);

  // After the cooldown one request probes a; it fails and the circuit opens again.
  world.now += milliseconds(10'000);
  CHECK(request().first == "b4");
  CHECK(world.state->breakers().state("a/ma") == BreakerState::open);
  CHECK(world.transitions.at(1).to == BreakerState::half_open);
  CHECK(world.transitions.at(2).to == BreakerState::open);

  // Next cooldown: the probe succeeds and a is trusted again.
  world.now += milliseconds(10'000);
  CHECK(request().first == "a back");
  CHECK(world.state->breakers().state("a/ma") == BreakerState::closed);
  CHECK(world.transitions.back().to == BreakerState::closed);
}

TEST_CASE("circuit breaker: every target open is refused at once, with the time to the next probe") {
  FakeWorld world;
  auto settings = settings_for({target("a", "ma")});
  settings.breaker_failures = 1;
  settings.breaker_cooldown_ms = 4'000;
  world.target("a").steps = {fails_with_status(502)};
  {
    Router router(world, settings);
    CHECK(expect_error([&] { router.call(); }).kind() == ErrorKind::upstream);
  }
  world.now += milliseconds(1000);
  Router router(world, settings);
  auto error = expect_error([&] { router.call(); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(error.code() == "upstream_unavailable");
  CHECK(error.retry_after_seconds() == 3);
  CHECK(std::string(error.what()).find("circuit is open") != std::string::npos);
}

TEST_CASE("circuit breaker: a gateway without breakers neither opens circuits nor leaks another's probe") {
  FakeWorld world;
  BreakerPolicy strict{1, milliseconds(1000)};
  BreakerPolicy off{0, milliseconds(1000)};
  world.state->breakers().failed("t", strict, "down");
  CHECK(world.state->breakers().admit("t", off).admitted);  // not kept out
  CHECK_FALSE(world.state->breakers().admit("t", strict).admitted);
  world.now += milliseconds(1000);
  auto probe = world.state->breakers().admit("t", strict);
  CHECK(probe.probe);
  world.state->breakers().failed("t", off, "a failure seen by a gateway without breakers");
  CHECK(world.state->breakers().admit("t", strict).probe);  // the probe was released, not leaked
  world.state->breakers().failed("x", off, "never opens");
  CHECK(world.state->breakers().state("x") == BreakerState::closed);
}

TEST_CASE("circuit breaker: a 400 refusal does not count against the target; a 404 does") {
  FakeWorld world;
  auto settings = settings_for({target("a", "ma")});
  settings.breaker_failures = 1;
  settings.fall_through.insert(FailureClass::client_error);
  world.target("a").steps = {fails_with_status(400), fails_with_status(404)};
  for (int request = 0; request < 2; ++request) {
    Router router(world, settings);
    CHECK(expect_error([&] { router.call(); }).kind() == ErrorKind::upstream);
    CHECK(world.state->breakers().state("a/ma") == (request == 0 ? BreakerState::closed : BreakerState::open));
  }
}

TEST_CASE("circuit breaker: only one probe at a time; a probe without a verdict lets the next one probe") {
  CircuitBreakers breakers([] { return std::chrono::steady_clock::time_point(std::chrono::hours(2)); });
  BreakerPolicy policy{1, milliseconds(0)};
  breakers.failed("t", policy, "boom");
  auto probe = breakers.admit("t", policy);
  CHECK(probe.admitted);
  CHECK(probe.probe);
  CHECK_FALSE(breakers.admit("t", policy).admitted);  // the probe is in flight
  breakers.abandoned("t");
  CHECK(breakers.admit("t", policy).probe);
  breakers.succeeded("t");
  CHECK(breakers.state("t") == BreakerState::closed);
  CHECK(breakers.admit("t", policy).admitted);
}

TEST_CASE("loadbalance: shares follow the weights 1:2:7 over 2,000 requests (chi-square, p = 0.01)") {
  FakeWorld world;
  auto settings = settings_for({target("a", "ma", 1), target("b", "mb", 2), target("c", "mc", 7)},
                               RoutingMode::loadbalance);
  std::map<std::string, int> served;
  for (const char* name : {"a", "b", "c"})
    for (int index = 0; index < 2000; ++index) world.target(name).steps.push_back(answers(name));
  for (int request = 0; request < 2000; ++request) {
    Router router(world, settings);
    ++served[router.call()];
  }
  const double expected[] = {200, 400, 1400};
  double chi_square = 0;
  int position = 0;
  for (const char* name : {"a", "b", "c"}) {
    double difference = served[name] - expected[position];
    chi_square += difference * difference / expected[position++];
  }
  MESSAGE("shares a=", served["a"], " b=", served["b"], " c=", served["c"], " chi-square=", chi_square);
  CHECK(chi_square < 9.210);  // the 0.99 quantile of chi-square with 2 degrees of freedom

  // A target whose circuit is open gets none.
  world.state->breakers().failed("c/mc", {1, milliseconds(60'000)}, "down");
  std::map<std::string, int> while_open;
  for (int request = 0; request < 300; ++request) {
    Router router(world, settings);
    ++while_open[router.call()];
  }
  CHECK(while_open["c"] == 0);
  CHECK(while_open["a"] + while_open["b"] == 300);
}

TEST_CASE("a target's own sampling and model go upstream; the next call of the request sticks to who served") {
  FakeWorld world;
  auto settings = settings_for({target("a", "ma"), target("b", "mb")});
  settings.targets[1].sampling = {{"temperature", 0.1}, {"max_tokens", 64}};
  world.target("a").steps = {refuses_connection(), answers("a again")};
  world.target("b").steps = {answers("one"), answers("two")};
  Router router(world, settings);
  CHECK(router.call() == "one");
  CHECK(router.call() == "two");  // b served the first call: it is asked first now
  const auto& sent = world.target("b").requests.at(0);
  CHECK(sent.model == "mb");
  CHECK(sent.sampling.temperature == 0.1);
  CHECK(sent.sampling.max_tokens == 64);
  CHECK(router.report->usage.at(0).calls == 2);
  CHECK(router.report->attempts.back().call == 2);
}

TEST_CASE("capabilities: what every target can do") {
  FakeWorld world;
  world.target("a").capabilities.image_input = true;
  world.target("b").capabilities.image_input = false;
  world.target("a").capabilities.tools = true;
  world.target("b").capabilities.tools = true;
  Router router(world, settings_for({target("a", "ma"), target("b", "mb")}));
  CHECK_FALSE(router.provider->capabilities().image_input);
  CHECK(router.provider->capabilities().tools);
  auto described = router.provider->describe_request(ChatRequest{});
  CHECK(described["model"] == "ma");
  CHECK(described["routing"]["targets"] == json::array({"a/ma", "b/mb"}));
}

TEST_CASE("complexity: the router model's tier picks the targets, billed as its own usage; its failure falls back") {
  FakeWorld world;
  auto settings = settings_for({target("small", "s"), target("large", "l")}, RoutingMode::complexity);
  settings.targets[0].tier = ComplexityTier::low;
  settings.targets[1].tier = ComplexityTier::high;
  settings.router_model = "judge/j";

  world.target("judge").steps = {Step{{text("High."), finish(30, 1)}, {}, milliseconds(3)}};
  world.target("large").steps = {answers("deep answer")};
  Router router(world, settings);
  CHECK(router.call() == "deep answer");
  CHECK(router.report->tier == ComplexityTier::high);
  CHECK(router.report->tier_source == "router_model");
  REQUIRE(router.report->router_usage);
  CHECK(router.report->router_usage->usage.prompt_tokens == 30);
  CHECK(world.target("judge").requests.at(0).model == "j");

  // The router model fails: the offline classifier decides, and says why.
  world.target("judge").steps = {fails_with_status(500)};
  world.target("small").steps = {answers("quick")};
  world.target("large").steps = {answers("deep")};
  Router fallback(world, settings);
  fallback.call(nullptr, "hi");
  CHECK(fallback.report->tier.has_value());
  CHECK(fallback.report->tier_source.find("the router model failed") != std::string::npos);
  CHECK(fallback.report->to_json().contains("tier_features"));
}
