// The streamable-HTTP transport (mcp/protocol/streamable_http_server.hpp)
// without a socket: requests built in the test, answers recorded by a fake
// responder, tools defined here. What it proves is the transport's own
// logic: sessions, status codes, JSON or SSE answers, cancellation.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include "core/error.hpp"
#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/streamable_http_server.hpp"
#include "tests/support/one_shot_event.hpp"

using namespace weir::mcp::protocol;
using weir::testing::OneShotEvent;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class FakeResponder : public HttpResponder {
 public:
  void send(int status, std::string_view content_type, std::string_view body, const HttpHeaders& headers) override {
    std::lock_guard lock(mutex_);
    status_ = status;
    content_type_ = content_type;
    body_ = body;
    headers_ = headers;
    done_ = true;
  }
  void begin_stream(int status, std::string_view content_type, const HttpHeaders& headers) override {
    {
      std::lock_guard lock(mutex_);
      status_ = status;
      content_type_ = content_type;
      headers_ = headers;
      streamed_ = true;
    }
    wrote_.notify_all();
  }
  bool write(std::string_view piece) override {
    {
      std::lock_guard lock(mutex_);
      body_ += piece;
    }
    wrote_.notify_all();
    return true;
  }
  void finish() override {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  void on_end(std::function<void()> callback) override {
    std::lock_guard lock(mutex_);
    on_end_.push_back(std::move(callback));
  }
  // The client hangs up.
  void hang_up() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      callbacks = on_end_;
    }
    for (auto& callback : callbacks) callback();
  }
  bool wait_for_stream(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return wrote_.wait_for(lock, timeout, [&] { return streamed_; });
  }
  bool wait_for_body(const std::string& text, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return wrote_.wait_for(lock, timeout, [&] { return body_.find(text) != std::string::npos; });
  }

  int status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  const std::string& body() const { return body_; }
  bool streamed() const { return streamed_; }
  bool done() const { return done_; }
  std::string header(const std::string& name) const {
    for (const auto& [key, value] : headers_)
      if (key == name) return value;
    return {};
  }
  json json_body() const { return json::parse(body_); }
  // The data of every SSE event, in order.
  std::vector<json> events() const {
    std::vector<json> events;
    size_t at = 0;
    while ((at = body_.find("data: ", at)) != std::string::npos) {
      auto end = body_.find('\n', at);
      events.push_back(json::parse(body_.substr(at + 6, end - at - 6)));
      at = end;
    }
    return events;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable wrote_;
  int status_ = 0;
  std::string content_type_;
  std::string body_;
  HttpHeaders headers_;
  bool streamed_ = false;
  bool done_ = false;
  std::vector<std::function<void()>> on_end_;
};

struct Fixture {
  std::atomic<bool> cancelled{false};
  OneShotEvent waiting;  // the wait tool has started
  std::shared_ptr<ToolSet> tools = std::make_shared<ToolSet>();
  StreamableHttpServer server{ServerInfo{"weir", "1.0", "weir", ""}, [] {
                                StreamableHttpOptions options;
                                options.keep_alive = 100ms;
                                return options;
                              }()};
  StreamableHttpServer::SessionFactory factory = [this](const HttpRequestView&) {
    return StreamableHttpServer::SessionSetup{std::make_shared<ToolSetHolder>(tools), nullptr};
  };

  Fixture() {
    ToolDefinition echo;
    echo.name = "echo";
    tools->add(echo, [](const json& arguments, CallContext& context) {
      context.progress(1, std::nullopt, "one");
      context.progress(2, std::nullopt, "two");
      return ToolResult::text(arguments.value("text", ""));
    });
    ToolDefinition wait;
    wait.name = "wait";
    tools->add(wait, [this](const json&, CallContext& context) {
      auto cancellation = std::make_shared<OneShotEvent>();
      context.on_cancel([cancellation] { cancellation->set(); });
      waiting.set();
      cancellation->wait(10s);
      cancelled = context.cancelled();
      return ToolResult::text("finished");
    });
  }

  HttpHeaders headers(const std::string& session = {}) {
    HttpHeaders list = {{"accept", "application/json, text/event-stream"}, {"content-type", "application/json"}};
    if (!session.empty()) list.emplace_back("mcp-session-id", session);
    return list;
  }

  void send(FakeResponder& responder, const std::string& method, const HttpHeaders& headers, const std::string& body,
            const std::string& owner = {}) {
    HttpRequestView request;
    request.method = method;
    request.headers = &headers;
    request.body = body;
    request.owner = owner;
    server.handle(request, responder, factory);
  }

  std::string initialize(const std::string& owner = {}) {
    FakeResponder responder;
    send(responder, "POST", headers(),
         json({{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"}, {"params", {{"protocolVersion", "2025-06-18"}}}})
             .dump(),
         owner);
    REQUIRE(responder.status() == 200);
    return responder.header("Mcp-Session-Id");
  }
};

std::string call(const json& id, const std::string& tool, json meta = nullptr) {
  json params = {{"name", tool}, {"arguments", {{"text", "hello"}}}};
  if (!meta.is_null()) params["_meta"] = meta;
  return json({{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", params}}).dump();
}

}  // namespace

TEST_CASE("streamable HTTP: initialize returns a session id; later requests need it") {
  Fixture fixture;
  FakeResponder init;
  fixture.send(init, "POST", fixture.headers(),
               R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})");
  CHECK(init.status() == 200);
  CHECK(init.content_type() == "application/json");
  CHECK(init.json_body()["result"]["protocolVersion"] == "2025-11-25");
  auto session = init.header("Mcp-Session-Id");
  CHECK(session.size() == 32);
  CHECK(fixture.server.session_count() == 1);

  FakeResponder initialized;
  fixture.send(initialized, "POST", fixture.headers(session), R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  CHECK(initialized.status() == 202);
  CHECK(initialized.body().empty());

  FakeResponder list;
  auto with_version = fixture.headers(session);
  with_version.emplace_back("mcp-protocol-version", "2025-11-25");
  fixture.send(list, "POST", with_version, R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
  CHECK(list.status() == 200);
  CHECK(list.json_body()["result"]["tools"].size() == 2);

  FakeResponder missing;
  fixture.send(missing, "POST", fixture.headers(), R"({"jsonrpc":"2.0","id":3,"method":"ping"})");
  CHECK(missing.status() == 400);
  CHECK(missing.json_body()["error"]["message"].get<std::string>().find("Mcp-Session-Id") != std::string::npos);

  FakeResponder unknown;
  fixture.send(unknown, "POST", fixture.headers("0123"), R"({"jsonrpc":"2.0","id":3,"method":"ping"})");
  CHECK(unknown.status() == 404);

  FakeResponder other_owner;
  fixture.send(other_owner, "POST", fixture.headers(session), R"({"jsonrpc":"2.0","id":3,"method":"ping"})", "mallory");
  CHECK(other_owner.status() == 404);

  FakeResponder bad_version;
  auto old = fixture.headers(session);
  old.emplace_back("mcp-protocol-version", "1999-01-01");
  fixture.send(bad_version, "POST", old, R"({"jsonrpc":"2.0","id":4,"method":"ping"})");
  CHECK(bad_version.status() == 400);
  CHECK(bad_version.body().find("1999-01-01") != std::string::npos);
}

TEST_CASE("streamable HTTP: refusals of the transport itself") {
  Fixture fixture;
  auto session = fixture.initialize();
  FakeResponder get;
  fixture.send(get, "GET", fixture.headers(session), "");
  CHECK(get.status() == 405);
  FakeResponder html;
  fixture.send(html, "POST", {{"accept", "text/html"}, {"mcp-session-id", session}}, R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  CHECK(html.status() == 406);
  FakeResponder form;
  fixture.send(form, "POST", {{"content-type", "text/plain"}, {"mcp-session-id", session}},
               R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  CHECK(form.status() == 415);
  FakeResponder garbage;
  fixture.send(garbage, "POST", fixture.headers(session), "{not json");
  CHECK(garbage.status() == 400);
  CHECK(garbage.json_body()["error"]["code"] == error_code::parse_error);
  FakeResponder batch;
  fixture.send(batch, "POST", fixture.headers(session), R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  CHECK(batch.status() == 400);
  FakeResponder invalid;
  fixture.send(invalid, "POST", fixture.headers(session), R"({"id":7,"method":"ping"})");
  CHECK(invalid.status() == 400);
  CHECK(invalid.json_body()["id"] == 7);
  // A failed initialize keeps no session.
  FakeResponder failed;
  fixture.send(failed, "POST", fixture.headers(), R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
  CHECK(failed.json_body()["error"]["code"] == error_code::invalid_params);
  CHECK(failed.header("Mcp-Session-Id").empty());
  CHECK(fixture.server.session_count() == 1);
  // A refusing factory's exception reaches the caller, with nothing answered.
  fixture.factory = [](const HttpRequestView&) -> StreamableHttpServer::SessionSetup {
    throw weir::Error(weir::ErrorKind::usage, "X-Mcp-Top-K: must be 1..128, got 0");
  };
  FakeResponder refused;
  CHECK_THROWS_AS(fixture.send(refused, "POST", fixture.headers(),
                               R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})"),
                  weir::Error);
  CHECK(refused.status() == 0);
}

TEST_CASE("streamable HTTP: a call's progress and response arrive as SSE on its own POST") {
  Fixture fixture;
  auto session = fixture.initialize();
  FakeResponder answer;
  fixture.send(answer, "POST", fixture.headers(session), call(5, "echo", {{"progressToken", "p"}}));
  CHECK(answer.status() == 200);
  CHECK(answer.streamed());
  CHECK(answer.content_type() == "text/event-stream");
  CHECK(answer.done());
  auto events = answer.events();
  REQUIRE(events.size() == 3);
  CHECK(events[0]["method"] == "notifications/progress");
  CHECK(events[0]["params"]["message"] == "one");
  CHECK(events[1]["params"]["message"] == "two");
  CHECK(events[2]["id"] == 5);
  CHECK(events[2]["result"]["content"][0]["text"] == "hello");
  CHECK(answer.body().rfind("event: message\ndata: ", 0) == 0);

  // Without a progress token the answer is one JSON body; a JSON-only client
  // gets JSON even with progress.
  FakeResponder quiet;
  fixture.send(quiet, "POST", fixture.headers(session), call(6, "echo"));
  CHECK_FALSE(quiet.streamed());
  CHECK(quiet.json_body()["result"]["content"][0]["text"] == "hello");
  FakeResponder json_only;
  fixture.send(json_only, "POST", {{"accept", "application/json"}, {"mcp-session-id", session}},
               call(7, "echo", {{"progressToken", "q"}}));
  CHECK_FALSE(json_only.streamed());
  CHECK(json_only.json_body()["id"] == 7);
}

TEST_CASE("streamable HTTP: notifications/cancelled in a second POST cancels the call; its stream ends without a response") {
  Fixture fixture;
  auto session = fixture.initialize();
  FakeResponder slow;
  auto running = std::async(std::launch::async, [&] { fixture.send(slow, "POST", fixture.headers(session), call("w", "wait")); });
  // A long call is kept alive with SSE comments.
  REQUIRE(slow.wait_for_body(": keep-alive"));
  CHECK(slow.streamed());
  FakeResponder cancel;
  fixture.send(cancel, "POST", fixture.headers(session),
               R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w","reason":"user"}})");
  CHECK(cancel.status() == 202);
  REQUIRE(running.wait_for(10s) == std::future_status::ready);
  CHECK(fixture.cancelled);
  CHECK(slow.done());
  CHECK(slow.events().empty());
}

TEST_CASE("streamable HTTP: a client that hangs up cancels its call") {
  Fixture fixture;
  auto session = fixture.initialize();
  FakeResponder slow;
  auto running = std::async(std::launch::async, [&] { fixture.send(slow, "POST", fixture.headers(session), call(1, "wait")); });
  REQUIRE(fixture.waiting.wait());
  slow.hang_up();
  REQUIRE(running.wait_for(10s) == std::future_status::ready);
  CHECK(fixture.server.shutdown(10s));
  CHECK(fixture.cancelled);
}

TEST_CASE("streamable HTTP: DELETE ends the session and cancels its calls; shutdown refuses what follows") {
  Fixture fixture;
  auto session = fixture.initialize();
  FakeResponder slow;
  auto running = std::async(std::launch::async, [&] { fixture.send(slow, "POST", fixture.headers(session), call(1, "wait")); });
  REQUIRE(fixture.waiting.wait());
  FakeResponder end;
  fixture.send(end, "DELETE", fixture.headers(session), "");
  CHECK(end.status() == 200);
  REQUIRE(running.wait_for(10s) == std::future_status::ready);
  CHECK(fixture.cancelled);
  FakeResponder after;
  fixture.send(after, "POST", fixture.headers(session), R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
  CHECK(after.status() == 404);
  FakeResponder again;
  fixture.send(again, "DELETE", fixture.headers(session), "");
  CHECK(again.status() == 404);
  FakeResponder no_id;
  fixture.send(no_id, "DELETE", fixture.headers(), "");
  CHECK(no_id.status() == 400);

  auto second = fixture.initialize();
  CHECK(fixture.server.shutdown(10s));
  CHECK(fixture.server.session_count() == 0);
  FakeResponder late;
  fixture.send(late, "POST", fixture.headers(second), R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
  CHECK(late.status() == 503);
}

TEST_CASE("streamable HTTP: GET opens the standing stream of a session whose tools can change; list_changed arrives on it") {
  Fixture fixture;
  auto holder = std::make_shared<ToolSetHolder>(fixture.tools, true);
  fixture.factory = [holder](const HttpRequestView&) { return StreamableHttpServer::SessionSetup{holder, nullptr}; };
  auto session = fixture.initialize();
  HttpHeaders listen_headers = {{"accept", "text/event-stream"}, {"mcp-session-id", session}};
  FakeResponder listen;
  auto listening = std::async(std::launch::async, [&] { fixture.send(listen, "GET", listen_headers, ""); });
  REQUIRE(listen.wait_for_stream());
  CHECK(listen.status() == 200);
  CHECK(listen.content_type() == "text/event-stream");

  FakeResponder second;
  fixture.send(second, "GET", listen_headers, "");
  CHECK(second.status() == 409);
  FakeResponder json_only;
  fixture.send(json_only, "GET", {{"accept", "application/json"}, {"mcp-session-id", session}}, "");
  CHECK(json_only.status() == 406);
  FakeResponder no_session;
  fixture.send(no_session, "GET", {{"accept", "text/event-stream"}}, "");
  CHECK(no_session.status() == 400);
  FakeResponder unknown;
  fixture.send(unknown, "GET", {{"accept", "text/event-stream"}, {"mcp-session-id", "not-a-session"}}, "");
  CHECK(unknown.status() == 404);

  holder->replace(fixture.tools);
  REQUIRE(listen.wait_for_body("notifications/tools/list_changed"));
  // The fixture's keep-alive is 100 ms: an idle stream says so in comments.
  CHECK(listen.wait_for_body(": keep-alive"));

  // DELETE ends the session and its stream.
  FakeResponder end;
  fixture.send(end, "DELETE", fixture.headers(session), "");
  CHECK(end.status() == 200);
  REQUIRE(listening.wait_for(10s) == std::future_status::ready);
  CHECK(listen.done());
  auto events = listen.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == json{{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}});

  // A client that hangs up ends its stream; a new GET may then listen. Shutdown ends that one.
  auto another = fixture.initialize();
  listen_headers = {{"accept", "text/event-stream"}, {"mcp-session-id", another}};
  FakeResponder gone;
  auto hanging_up = std::async(std::launch::async, [&] { fixture.send(gone, "GET", listen_headers, ""); });
  REQUIRE(gone.wait_for_stream());
  gone.hang_up();
  REQUIRE(hanging_up.wait_for(10s) == std::future_status::ready);
  FakeResponder last;
  auto last_listening = std::async(std::launch::async, [&] { fixture.send(last, "GET", listen_headers, ""); });
  REQUIRE(last.wait_for_stream());
  CHECK(fixture.server.shutdown(10s));
  REQUIRE(last_listening.wait_for(10s) == std::future_status::ready);
  CHECK(last.done());
}

TEST_CASE("streamable HTTP: GET streams past max_listeners get 405; one that ends makes room") {
  Fixture fixture;
  auto holder = std::make_shared<ToolSetHolder>(fixture.tools, true);
  fixture.factory = [holder](const HttpRequestView&) { return StreamableHttpServer::SessionSetup{holder, nullptr}; };
  const size_t most = StreamableHttpOptions{}.max_listeners;
  std::vector<std::unique_ptr<FakeResponder>> listeners;
  std::vector<std::future<void>> listening;
  std::vector<HttpHeaders> headers;
  for (size_t index = 0; index <= most; ++index)
    headers.push_back({{"accept", "text/event-stream"}, {"mcp-session-id", fixture.initialize()}});
  for (size_t index = 0; index < most; ++index) {
    listeners.push_back(std::make_unique<FakeResponder>());
    auto* responder = listeners.back().get();
    listening.push_back(
        std::async(std::launch::async, [&, responder, index] { fixture.send(*responder, "GET", headers[index], ""); }));
    REQUIRE(responder->wait_for_stream());
  }
  FakeResponder refused;
  fixture.send(refused, "GET", headers[most], "");
  CHECK(refused.status() == 405);
  CHECK(refused.body().find("GET streams are open") != std::string::npos);

  listeners[0]->hang_up();
  REQUIRE(listening[0].wait_for(10s) == std::future_status::ready);
  FakeResponder admitted;
  auto last = std::async(std::launch::async, [&] { fixture.send(admitted, "GET", headers[most], ""); });
  REQUIRE(admitted.wait_for_stream());
  CHECK(admitted.status() == 200);
  CHECK(fixture.server.shutdown(10s));
  for (auto& stream : listening) REQUIRE(stream.wait_for(10s) == std::future_status::ready);
  REQUIRE(last.wait_for(10s) == std::future_status::ready);
}
