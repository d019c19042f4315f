// Hooks: the `hooks` block's rules, the worker actions applied to a request
// (each one, and each way an answer can be unusable), and the dispatcher's
// outcomes against a loopback receiver (continue, rewrite, refusal, failure,
// unreachable, cancelled), each noted.
#include <doctest/doctest.h>

#include <string>

#include "core/engine/hook_actions.hpp"
#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/policy/hooks.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir;
using weir::testing::expect_error;
using weir::testing::FakeUpstream;
using weir::testing::ScriptedResponse;

namespace {

GatewayConfig with_hooks(json hooks) {
  return GatewayConfig::from_json({{"provider", "p"}, {"model", "m"}, {"hooks", std::move(hooks)}});
}

ChatRequest conversation() {
  ChatRequest request;
  request.messages = json::array({{{"role", "system"}, {"content", "Be brief."}},
                                  {{"role", "user"}, {"content", "first"}},
                                  {{"role", "assistant"}, {"content", "ok"}},
                                  {{"role", "user"}, {"content", "second"}}});
  return request;
}

const Hook kHook{.name = "h", .url = "http://127.0.0.1:9/h", .events = {"message.received"}, .timeout_ms = 1000, .secret = ""};

HookAnswer answer(json actions) { return HookAnswer{&kHook, std::move(actions)}; }

}  // namespace

TEST_CASE("hooks block: url, events and timeout are checked when the gateway is saved; names default and are unique") {
  auto config = with_hooks(json::array({{{"url", "https://hooks.example/a"}, {"events", {"message.received", "tool.called"}}},
                                        {{"name", "b"}, {"url", "http://127.0.0.1:8/b"}, {"events", {"tool.called"}},
                                         {"timeout_ms", 250}, {"secret", "${HOOK_SECRET}"}}}));
  auto hooks = HookSet::from_config(config.effective_value("hooks"));
  REQUIRE(hooks->hooks().size() == 2);
  CHECK(hooks->hooks()[0].name == "hook_1");
  CHECK(hooks->hooks()[0].timeout_ms == 5000);
  CHECK(hooks->hooks()[1].timeout_ms == 250);
  CHECK(hooks->listens_to("tool.called"));
  CHECK(HookSet::from_config(nullptr)->hooks().empty());

  auto bad_url = expect_error([] { with_hooks(json::array({{{"url", "ftp://x"}, {"events", {"tool.called"}}}})); });
  CHECK(std::string(bad_url.what()).find("http:// or https://") != std::string::npos);
  auto bad_event = expect_error([] { with_hooks(json::array({{{"url", "http://x"}, {"events", {"message.sent"}}}})); });
  CHECK(std::string(bad_event.what()).find("unknown event 'message.sent'") != std::string::npos);
  auto no_event = expect_error([] { with_hooks(json::array({{{"url", "http://x"}, {"events", json::array()}}})); });
  CHECK(std::string(no_event.what()).find("at least one event") != std::string::npos);
  auto too_short = expect_error(
      [] { with_hooks(json::array({{{"url", "http://x"}, {"events", {"tool.called"}}, {"timeout_ms", 1}}})); });
  CHECK(too_short.kind() == ErrorKind::usage);
  auto twice = expect_error([] {
    with_hooks(json::array({{{"name", "a"}, {"url", "http://x"}, {"events", {"tool.called"}}},
                            {{"name", "a"}, {"url", "http://y"}, {"events", {"tool.called"}}}}));
  });
  CHECK(std::string(twice.what()).find("repeats the hook name 'a'") != std::string::npos);
}

TEST_CASE("hook actions: clear keeps the system messages; add-message appends") {
  auto request = conversation();
  apply_message_actions(answer(json::array({{{"action", "clear"}},
                                            {{"action", "add-message"}, {"role", "user"}, {"content", "new"}}})),
                        request);
  CHECK(request.messages == json::array({{{"role", "system"}, {"content", "Be brief."}},
                                         {{"role", "user"}, {"content", "new"}}}));
}

TEST_CASE("hook actions: remove-message by index, add-system joins the system text, add-tool offers a definition") {
  auto request = conversation();
  const json tool = {{"type", "function"}, {"function", {{"name", "escalate"}}}};
  apply_message_actions(answer(json::array({{{"action", "remove-message"}, {"index", 1}},
                                            {{"action", "add-system"}, {"content", "In French."}},
                                            {{"action", "add-tool"}, {"tool", tool}}})),
                        request);
  REQUIRE(request.messages.size() == 3);
  CHECK(request.messages[0]["content"] == "Be brief.\n\nIn French.");
  CHECK(request.messages[1]["content"] == "ok");
  CHECK(request.tools == json::array({tool}));

  ChatRequest bare;
  bare.messages = json::array({{{"role", "user"}, {"content", "hi"}}});
  apply_message_actions(answer(json::array({{{"action", "add-system"}, {"content", "Rules."}}})), bare);
  CHECK(bare.messages[0] == json{{"role", "system"}, {"content", "Rules."}});
}

TEST_CASE("hook actions: an action weir cannot apply is hook_failed naming the hook and the action") {
  auto failing = [](json actions) {
    auto request = conversation();
    request.tools = json::array({{{"type", "function"}, {"function", {{"name", "taken"}}}}});
    auto error = expect_error([&] { apply_message_actions(answer(std::move(actions)), request); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(error.code() == "hook_failed");
    CHECK(std::string(error.what()).find("hook 'h'") != std::string::npos);
    return std::string(error.what());
  };
  CHECK(failing(json::array({{{"action", "explode"}}})).find("'explode' is not one message.received takes") !=
        std::string::npos);
  CHECK(failing(json::array({{{"action", "remove-message"}, {"index", 4}}})).find("0..4 exclusive, got 4") !=
        std::string::npos);
  CHECK(failing(json::array({{{"action", "add-message"}, {"role", "tool"}, {"content", "x"}}})).find("\"role\"") !=
        std::string::npos);
  CHECK(failing(json::array({{{"action", "add-tool"}, {"tool", {{"type", "function"}, {"function", {{"name", "taken"}}}}}}}))
            .find("already offered") != std::string::npos);
  CHECK(failing(json::array({{{"action", "set-result"}, {"content", "x"}}})).find("set-result") != std::string::npos);

  auto unreadable = expect_error([] { (void)read_worker_actions("{not json", "h"); });
  CHECK(unreadable.code() == "hook_failed");
  auto no_name = expect_error([] { (void)read_worker_actions("[{\"act\": 1}]", "h"); });
  CHECK(std::string(no_name.what()).find("string \"action\"") != std::string::npos);
  CHECK(read_worker_actions("{\"action\": \"clear\"}", "h") == json::array({{{"action", "clear"}}}));
}

TEST_CASE("hook actions: set-result gives a tool.called result (text, or a JSON value's text); nothing else is taken") {
  CHECK(tool_result_action(answer(json::array())) == std::nullopt);
  CHECK(tool_result_action(answer(json::array({{{"action", "set-result"}, {"content", "cached"}}}))) == "cached");
  CHECK(tool_result_action(answer(json::array({{{"action", "set-result"}, {"content", {{"n", 1}}}}}))) == "{\"n\":1}");
  auto error = expect_error([] { (void)tool_result_action(answer(json::array({{{"action", "clear"}}}))); });
  CHECK(std::string(error.what()).find("not one tool.called takes") != std::string::npos);
}

TEST_CASE("hook dispatcher: outcomes against a loopback receiver, each noted") {
  FakeUpstream receiver;
  receiver.answer_posts_matching("/hook/.*");
  weir::testing::WeirHome home;
  auto set = HookSet::from_config(json::array(
      {{{"name", "first"}, {"url", receiver.root_url() + "/hook/first"}, {"events", {"message.received"}}},
       {{"name", "second"}, {"url", receiver.root_url() + "/hook/second"}, {"events", {"message.received"}},
        {"secret", "s3cret"}}}));
  HookDispatcher hooks(set, HookRequestInfo{.gateway = {{"id", "gid"}, {"name", "g"}}, .request_id = "rid", .user = "", .conversation = "",
                                     .metadata = nullptr}, home.path());
  CancelToken cancel;

  SUBCASE("the first hook's rewrite is what the second sees") {
    receiver.enqueue(ScriptedResponse::raw(200, kWorkerActionType, "{\"action\": \"clear\"}"));
    receiver.enqueue(ScriptedResponse::raw(204, "text/plain", ""));
    auto request = conversation();
    run_message_received_hooks(hooks, request, cancel);
    CHECK(request.messages.size() == 1);
    auto calls = receiver.requests();
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].json_body["messages"].size() == 4);
    CHECK(calls[1].json_body["messages"].size() == 1);
    CHECK(calls[1].json_body["request_id"] == "rid");
    CHECK(calls[1].header("X-Weir-Signature").rfind("v1=", 0) == 0);
    REQUIRE(hooks.notes().size() == 2);
    CHECK(hooks.notes()[0]["outcome"] == "rewritten");
    CHECK(hooks.notes()[1]["outcome"] == "continue");
  }
  SUBCASE("a 5xx fails, and the later hook is not called") {
    receiver.enqueue(ScriptedResponse::raw(503, "text/plain", "down"));
    auto request = conversation();
    auto error = expect_error([&] { run_message_received_hooks(hooks, request, cancel); });
    CHECK(error.kind() == ErrorKind::upstream);
    CHECK(error.code() == "hook_failed");
    CHECK(std::string(error.what()).find("hook 'first' answered HTTP 503") != std::string::npos);
    CHECK(receiver.request_count() == 1);
    CHECK(hooks.notes()[0]["outcome"] == "failed");
  }
  SUBCASE("an unusable action body fails, noted with its error") {
    receiver.enqueue(ScriptedResponse::raw(200, kWorkerActionType, "[1]"));
    auto request = conversation();
    auto error = expect_error([&] { run_message_received_hooks(hooks, request, cancel); });
    CHECK(error.code() == "hook_failed");
    CHECK(hooks.notes()[0]["outcome"] == "failed");
    CHECK(hooks.notes()[0]["error"].get<std::string>().find("hook 'first'") != std::string::npos);
  }
  SUBCASE("a cancelled request calls no hook") {
    cancel.cancel();
    auto request = conversation();
    auto error = expect_error([&] { run_message_received_hooks(hooks, request, cancel); });
    CHECK(error.kind() == ErrorKind::interrupted);
    CHECK(receiver.request_count() == 0);
  }
}

TEST_CASE("hook dispatcher: an unreachable hook is hook_failed naming it") {
  weir::testing::WeirHome home;
  // Port 9 (discard) on loopback: nothing listens there in the test machine.
  auto set = HookSet::from_config(
      json::array({{{"name", "gone"}, {"url", "http://127.0.0.1:9/hook"}, {"events", {"tool.called"}}}}));
  HookDispatcher hooks(set, HookRequestInfo{}, home.path());
  CancelToken cancel;
  auto error = expect_error([&] { (void)run_tool_called_hooks(hooks, ToolCall{"id1", "lookup", "{}"}, cancel); });
  CHECK(error.kind() == ErrorKind::upstream);
  CHECK(error.code() == "hook_failed");
  CHECK(std::string(error.what()).find("hook 'gone' could not be called") != std::string::npos);
}
