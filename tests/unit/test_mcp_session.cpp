// The transport-independent MCP session (mcp/protocol/session.hpp), driven
// directly: messages in, what reaches each outbox out.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/session.hpp"
#include "tests/support/one_shot_event.hpp"

using namespace weir::mcp::protocol;
using weir::testing::OneShotEvent;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Records what a session says about one message, and how often it closed it.
class RecordingOutbox : public Outbox {
 public:
  void send(const json& message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(message);
  }
  void close() override {
    {
      std::lock_guard lock(mutex_);
      ++closes_;
    }
    closed_.notify_all();
  }
  bool wait_closed(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return closed_.wait_for(lock, timeout, [this] { return closes_ > 0; });
  }
  std::vector<json> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  int closes() {
    std::lock_guard lock(mutex_);
    return closes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable closed_;
  std::vector<json> messages_;
  int closes_ = 0;
};

json request(const json& id, const std::string& method, json params = nullptr) {
  json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

// A tool that streams two progress updates and echoes its argument, and one
// that waits until it is cancelled.
std::shared_ptr<ToolSet> test_tools(std::atomic<bool>& saw_cancel) {
  auto tools = std::make_shared<ToolSet>();
  ToolDefinition echo;
  echo.name = "echo";
  echo.title = "Echo";
  tools->add(echo, [](const json& arguments, CallContext& context) {
    context.progress(1, 2, "half");
    context.progress(2, 2, "all");
    return ToolResult::text(arguments.value("text", ""));
  });
  ToolDefinition wait;
  wait.name = "wait";
  tools->add(wait, [&saw_cancel](const json&, CallContext& context) {
    auto cancellation = std::make_shared<OneShotEvent>();
    context.on_cancel([cancellation] { cancellation->set(); });
    cancellation->wait(5s);
    saw_cancel = context.cancelled();
    return ToolResult::text("too late");
  });
  return tools;
}

json handle(Session& session, const json& message) {
  auto outbox = std::make_shared<RecordingOutbox>();
  session.handle(classify(message), outbox);
  REQUIRE(outbox->wait_closed());
  auto messages = outbox->messages();
  return messages.empty() ? json() : messages.back();
}

ServerInfo info() { return {"weir", "1.0", "weir", ""}; }

}  // namespace

TEST_CASE("session: lifecycle, tools/list by negotiated version, protocol faults") {
  std::atomic<bool> saw_cancel{false};
  Session session(info(), test_tools(saw_cancel));
  CHECK_FALSE(session.initialized());
  auto initialized = handle(session, request(1, "initialize", {{"protocolVersion", "2025-03-26"}}));
  CHECK(initialized["result"]["protocolVersion"] == "2025-03-26");
  CHECK(session.initialized());
  CHECK(session.protocol_version() == "2025-03-26");
  CHECK(handle(session, request(2, "initialize", {{"protocolVersion", "2025-03-26"}}))["error"]["code"] ==
        error_code::invalid_request);
  auto tools = handle(session, request(3, "tools/list"))["result"]["tools"];
  REQUIRE(tools.size() == 2);
  CHECK_FALSE(tools[0].contains("title"));  // titles arrived in 2025-06-18
  CHECK(handle(session, request(4, "ping"))["result"] == json::object());
  CHECK(handle(session, request(5, "resources/list"))["error"]["code"] == error_code::method_not_found);
  CHECK(handle(session, request(6, "tools/call", {{"name", "nope"}}))["error"]["code"] == error_code::invalid_params);
  CHECK(handle(session, json{{"id", 7}, {"method", "ping"}})["error"]["code"] == error_code::invalid_request);
  // A notification is closed with nothing said.
  auto outbox = std::make_shared<RecordingOutbox>();
  session.handle(classify(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}), outbox);
  CHECK(outbox->closes() == 1);
  CHECK(outbox->messages().empty());
}

TEST_CASE("session: tools that can change: listChanged, list_changed on the notification outbox, the new list served, a call in flight finished") {
  OneShotEvent started, release;
  auto first = std::make_shared<ToolSet>();
  ToolDefinition slow;
  slow.name = "slow";
  first->add(slow, [&](const json&, CallContext&) {
    started.set();
    release.wait();
    return ToolResult::text("finished");
  });
  auto second = std::make_shared<ToolSet>();
  ToolDefinition fresh;
  fresh.name = "fresh";
  second->add(fresh, [](const json&, CallContext&) { return ToolResult::text("new"); });
  auto holder = std::make_shared<ToolSetHolder>(first, true);
  Session session(info(), holder);
  CHECK(session.sends_notifications());
  auto notices = std::make_shared<RecordingOutbox>();
  CHECK(session.attach_notifications(notices));
  CHECK_FALSE(session.attach_notifications(std::make_shared<RecordingOutbox>()));  // one at a time

  holder->replace(first);  // before initialize: the client has not been told of any tools yet
  CHECK(notices->messages().empty());
  auto initialized = handle(session, request(1, "initialize", {{"protocolVersion", "2025-06-18"}}));
  CHECK(initialized["result"]["capabilities"]["tools"]["listChanged"] == true);

  auto running = std::make_shared<RecordingOutbox>();
  session.handle(classify(request(2, "tools/call", {{"name", "slow"}})), running);
  REQUIRE(started.wait());
  holder->replace(second);  // watchers run before replace() returns
  REQUIRE(notices->messages().size() == 1);
  CHECK(notices->messages()[0] == json{{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}});
  auto tools = handle(session, request(3, "tools/list"))["result"]["tools"];
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["name"] == "fresh");
  CHECK(handle(session, request(4, "tools/call", {{"name", "slow"}}))["error"]["code"] == error_code::invalid_params);
  CHECK(handle(session, request(5, "tools/call", {{"name", "fresh"}}))["result"]["content"][0]["text"] == "new");
  release.set();  // the call that started on the old list ends normally
  REQUIRE(running->wait_closed());
  CHECK(running->messages().back()["result"]["content"][0]["text"] == "finished");

  // Detached: a change is not announced; end() closes the attached outbox and refuses another.
  session.detach_notifications(notices);
  holder->replace(first);
  CHECK(notices->messages().size() == 1);
  CHECK(session.attach_notifications(notices));
  session.end();
  CHECK(notices->closes() == 1);
  holder->replace(second);
  CHECK(notices->messages().size() == 1);
  CHECK_FALSE(session.attach_notifications(std::make_shared<RecordingOutbox>()));
}

TEST_CASE("session: tools that never change: listChanged false, and nothing to listen to") {
  std::atomic<bool> saw_cancel{false};
  Session session(info(), test_tools(saw_cancel));
  CHECK_FALSE(session.sends_notifications());
  auto initialized = handle(session, request(1, "initialize", {{"protocolVersion", "2025-06-18"}}));
  CHECK(initialized["result"]["capabilities"]["tools"]["listChanged"] == false);
}

TEST_CASE("session: a call's progress and response go to its own outbox, closed once, after the response") {
  std::atomic<bool> saw_cancel{false};
  Session session(info(), test_tools(saw_cancel));
  handle(session, request(1, "initialize", {{"protocolVersion", "2025-11-25"}}));
  auto outbox = std::make_shared<RecordingOutbox>();
  auto other = std::make_shared<RecordingOutbox>();
  session.handle(classify(request(2, "tools/call",
                                  {{"name", "echo"}, {"arguments", {{"text", "hi"}}}, {"_meta", {{"progressToken", "t"}}}})),
                 outbox);
  session.handle(classify(request(3, "ping")), other);
  REQUIRE(outbox->wait_closed());
  session.wait_idle();
  auto messages = outbox->messages();
  REQUIRE(messages.size() == 3);
  CHECK(messages[0]["method"] == "notifications/progress");
  CHECK(messages[0]["params"]["message"] == "half");
  CHECK(messages[1]["params"]["progress"] == 2);
  CHECK(messages[2]["id"] == 2);
  CHECK(messages[2]["result"]["content"][0]["text"] == "hi");
  CHECK(outbox->closes() == 1);
  CHECK(other->messages().size() == 1);  // the ping's answer only
}

TEST_CASE("session: cancel() stops a call, which then sends no response; the shared counter sees it end") {
  std::atomic<bool> saw_cancel{false};
  SessionOptions options;
  options.shared_counter = std::make_shared<CallCounter>();
  Session session(info(), test_tools(saw_cancel), options);
  handle(session, request(1, "initialize", {{"protocolVersion", "2025-11-25"}}));
  auto outbox = std::make_shared<RecordingOutbox>();
  session.handle(classify(request("slow", "tools/call", {{"name", "wait"}})), outbox);
  CHECK(options.shared_counter->running() == 1);
  session.cancel("slow");
  REQUIRE(outbox->wait_closed());
  CHECK(options.shared_counter->wait_idle(10s));
  CHECK(saw_cancel);
  CHECK(outbox->messages().empty());

  // cancel_all() does the same for every call in flight.
  saw_cancel = false;
  auto second = std::make_shared<RecordingOutbox>();
  session.handle(classify(request(9, "tools/call", {{"name", "wait"}})), second);
  session.cancel_all();
  REQUIRE(second->wait_closed());
  CHECK(second->messages().empty());
}
