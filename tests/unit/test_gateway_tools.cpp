// The gateway tools' parts in process: function records and their rules,
// function-source answers and the 600 s cache (injected clock), a call's
// refusal of bad arguments without a request, the call body, current_time at
// a fixed moment, open_url's address rule and HTML to text.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include <httplib.h>

#include "core/error.hpp"
#include "core/gateway/function_fields.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/tools/builtin_tools_source.hpp"
#include "core/tools/current_time_tool.hpp"
#include "core/tools/function_source_fetch.hpp"
#include "core/tools/gateway_tools.hpp"
#include "core/tools/http_function_source.hpp"
#include "core/tools/open_url_tool.hpp"
#include "tests/support/fake_upstream.hpp"

using namespace weir;
using namespace weir::testing;

namespace {

json function_record(const std::string& url) {
  return {{"name", "lookup"},
          {"parameters",
           {{"type", "object"}, {"properties", {{"id", {{"type", "integer"}}}}}, {"required", {"id"}}}},
          {"url", url}};
}

std::string error_of(const std::function<void()>& action, ErrorKind expected_kind) {
  try {
    action();
  } catch (const Error& error) {
    CHECK(error.kind() == expected_kind);
    return error.what();
  }
  FAIL_CHECK("no error");
  return {};
}

const std::string kSecret(32, 'k');

}  // namespace

TEST_CASE("gateway tools config: function records, sources and built-ins are checked") {
  json base = {{"provider", "local"}, {"model", "extractive"}};
  auto with = [&](const std::string& field, json value) {
    auto config = base;
    config[field] = std::move(value);
    return config;
  };
  CHECK_NOTHROW(GatewayConfig::from_json(with("functions", json::array({function_record("http://127.0.0.1:1/f")}))));
  auto bad_name = function_record("http://x/f");
  bad_name["name"] = "has space";
  CHECK(error_of([&] { GatewayConfig::from_json(with("functions", json::array({bad_name}))); }, ErrorKind::usage)
            .find("'functions[0].name'") != std::string::npos);
  auto bad_schema = function_record("http://x/f");
  bad_schema["parameters"] = {{"type", 12}};
  CHECK(error_of([&] { GatewayConfig::from_json(with("functions", json::array({bad_schema}))); }, ErrorKind::usage)
            .find("not a usable JSON Schema") != std::string::npos);
  auto not_object = function_record("http://x/f");
  not_object["parameters"] = {{"type", "string"}};
  CHECK(error_of([&] { GatewayConfig::from_json(with("functions", json::array({not_object}))); }, ErrorKind::usage)
            .find("must describe an object") != std::string::npos);
  auto bad_url = function_record("ftp://x/f");
  CHECK_THROWS_AS(GatewayConfig::from_json(with("functions", json::array({bad_url}))), Error);
  auto bad_header = function_record("http://x/f");
  bad_header["headers"] = {{"X-Count", 3}};
  CHECK_THROWS_AS(GatewayConfig::from_json(with("functions", json::array({bad_header}))), Error);
  CHECK(error_of([&] {
          GatewayConfig::from_json(
              with("functions", json::array({function_record("http://x/a"), function_record("http://x/b")})));
        },
                 ErrorKind::usage)
            .find("repeats the function name 'lookup'") != std::string::npos);
  CHECK(error_of([&] { GatewayConfig::from_json(with("builtin_tools", json::array({"open_door"}))); },
                 ErrorKind::usage)
            .find("open_url, current_time, memory") != std::string::npos);
  CHECK_NOTHROW(GatewayConfig::from_json(with("builtin_tools", json::array({"memory", "open_url"}))));
  CHECK_THROWS_AS(GatewayConfig::from_json(with("function_sources", json::array({"file:///etc/passwd"}))), Error);
}

TEST_CASE("function sources: answers are read strictly, naming the source") {
  auto functions = functions_from_source_answer(
      "http://127.0.0.1:9/list", json{{"functions", json::array({function_record("http://127.0.0.1:9/f")})}}.dump());
  REQUIRE(functions.size() == 1);
  CHECK(functions[0].name == "lookup");
  CHECK(functions[0].timeout_ms == 30'000);
  for (const std::string body : {"not json", "[]", "{\"functions\": {}}", "{\"tools\": []}",
                                 "{\"functions\": [{\"name\": \"x\"}]}",
                                 "{\"functions\": [{\"name\": \"a\", \"url\": \"http://h/a\"}, {\"name\": \"a\", "
                                 "\"url\": \"http://h/b\"}]}",
                                 // a source may not make weir send its environment (an API key) anywhere
                                 "{\"functions\": [{\"name\": \"a\", \"url\": \"http://h/a\", \"headers\": "
                                 "{\"X\": \"${OPENAI_API_KEY}\"}}]}"}) {
    CAPTURE(body);
    auto message = error_of([&] { functions_from_source_answer("https://user:pw@example.com/list", body); },
                            ErrorKind::upstream);
    CHECK(message.find("function source https://user:****@example.com/list") == 0);
  }
}

TEST_CASE("gateway show: MCP servers' URLs, header values and environment values are redacted") {
  json config = {{"mcp_servers", json::array({{{"name", "kb"},
                                               {"url", "https://user:secret@mcp.example.com/v1"},
                                               {"headers", json::array({"Authorization: Bearer sk-live-123"})},
                                               {"env", json::array({"TOKEN=ghp_abc", "EMPTY="})}}})}};
  auto shown = with_tool_secrets_redacted(config).dump();
  CHECK(shown.find("secret") == std::string::npos);
  CHECK(shown.find("sk-live-123") == std::string::npos);
  CHECK(shown.find("ghp_abc") == std::string::npos);
  CHECK(shown.find("Authorization: Bearer ****") != std::string::npos);
  CHECK(shown.find("TOKEN=****") != std::string::npos);
  CHECK(shown.find("EMPTY=\"") != std::string::npos);
}

TEST_CASE("function sources: cached 600 s per URL, a failure for 30 s") {
  FakeUpstream source;
  source.answer_get("/list", {{"functions", json::array({function_record(source.root_url() + "/f")})}});
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  FunctionSourceCache cache([&] { return now; });
  CancelToken cancel;
  CHECK(cache.fetch(source.root_url() + "/list", kSecret, cancel).size() == 1);
  CHECK(cache.fetch(source.root_url() + "/list", kSecret, cancel).size() == 1);
  CHECK(source.request_count() == 1);
  now += std::chrono::seconds(599);
  cache.fetch(source.root_url() + "/list", kSecret, cancel);
  CHECK(source.request_count() == 1);
  now += std::chrono::seconds(2);
  cache.fetch(source.root_url() + "/list", kSecret, cancel);
  CHECK(source.request_count() == 2);
  CHECK_FALSE(source.requests().back().header("X-Weir-Signature").empty());

  auto missing = source.root_url() + "/missing";
  CHECK(error_of([&] { cache.fetch(missing, kSecret, cancel); }, ErrorKind::upstream).find("HTTP 404") !=
        std::string::npos);
  CHECK(error_of([&] { cache.fetch(missing, kSecret, cancel); }, ErrorKind::upstream).find("HTTP 404") !=
        std::string::npos);
  CHECK(source.request_count() == 3);  // the failure is remembered: the source is not asked
  now += std::chrono::seconds(31);
  error_of([&] { cache.fetch(missing, kSecret, cancel); }, ErrorKind::upstream);
  CHECK(source.request_count() == 4);  // asked again after 30 s
}

TEST_CASE("http function: bad arguments are refused without a request; the body has the documented shape") {
  FakeUpstream receiver;
  receiver.answer_posts_matching("/f");
  auto home = std::filesystem::temp_directory_path() / ("weir-gateway-tools-" + std::to_string(::getpid()));
  std::vector<HttpFunction> functions = {
      http_function_from_record(function_record(receiver.root_url() + "/f"), "functions[0]", "test")};
  HttpFunctionSource source("test", functions, home.string(), {"u1", "c1", json{{"k", "v"}}});
  CancelToken cancel;
  for (const std::string arguments : {"{\"id\": \"x\"}", "{}", "[1]", "{not json"}) {
    CAPTURE(arguments);
    error_of([&] { source.run({"call", "lookup", arguments}, cancel); }, ErrorKind::usage);
  }
  CHECK(receiver.request_count() == 0);

  receiver.enqueue(ScriptedResponse::raw(404, "text/plain", "no such order"));
  auto message = error_of([&] { source.run({"call", "lookup", "{\"id\": 1}"}, cancel); }, ErrorKind::upstream);
  CHECK(message.find("function 'lookup' answered HTTP 404") != std::string::npos);
  receiver.enqueue(ScriptedResponse::raw(200, "text/plain", "  verbatim \n"));
  CHECK(source.run({"call", "lookup", "{\"id\": 1}"}, cancel).text == "  verbatim \n");

  auto moment = std::chrono::system_clock::time_point{} + std::chrono::seconds(1767225600);  // 2026-01-01
  CHECK(HttpFunctionSource::call_body("lookup", {{"id", 1}}, {"", "", nullptr}, moment) ==
        json{{"type", "tool_call"},
             {"function", {{"name", "lookup"}, {"content", {{"id", 1}}}}},
             {"context", {{"user", nullptr}, {"metadata", nullptr}, {"conversation", nullptr},
                          {"moment", "2026-01-01T00:00:00Z"}}}});
  std::filesystem::remove_all(home);
}

TEST_CASE("http function: an unreachable receiver is a failed call naming the function") {
  std::vector<HttpFunction> functions = {
      http_function_from_record(function_record("http://127.0.0.1:1/f"), "functions[0]", "test")};
  auto home = std::filesystem::temp_directory_path() / ("weir-gateway-tools-b-" + std::to_string(::getpid()));
  HttpFunctionSource source("test", functions, home.string(), {});
  auto message = error_of([&] { source.run({"call", "lookup", "{\"id\": 1}"}, CancelToken()); }, ErrorKind::upstream);
  CHECK(message.find("function 'lookup' could not be called") != std::string::npos);
  std::filesystem::remove_all(home);
}

TEST_CASE("current_time: ISO time, weekday and zone at a fixed moment; unknown zones named") {
  auto moment = std::chrono::system_clock::time_point{} + std::chrono::seconds(1768478400);  // 2026-01-15T12:00:00Z
  auto paris = json::parse(current_time_answer("{\"time_zone\": \"Europe/Paris\"}", moment));
  CHECK(paris["time"] == "2026-01-15T13:00:00+01:00");
  CHECK(paris["weekday"] == "Thursday");
  CHECK(paris["abbreviation"] == "CET");
  auto new_york = json::parse(current_time_answer("{\"time_zone\": \"America/New_York\"}", moment));
  CHECK(new_york["time"] == "2026-01-15T07:00:00-05:00");
  auto utc = json::parse(current_time_answer("", moment));
  CHECK(utc["time"] == "2026-01-15T12:00:00+00:00");
  CHECK(utc["time_zone"] == "UTC");
  // Summer time, and a zone off by half an hour (read from the zone files).
  auto july = std::chrono::system_clock::time_point{} + std::chrono::seconds(1784116800);  // 2026-07-15T12:00:00Z
  auto summer = json::parse(current_time_answer("{\"time_zone\": \"Europe/Paris\"}", july));
  CHECK(summer["time"] == "2026-07-15T14:00:00+02:00");
  CHECK(summer["abbreviation"] == "CEST");
  CHECK(json::parse(current_time_answer("{\"time_zone\": \"America/New_York\"}", july))["time"] ==
        "2026-07-15T08:00:00-04:00");
  CHECK(json::parse(current_time_answer("{\"time_zone\": \"Asia/Kolkata\"}", july))["time"] ==
        "2026-07-15T17:30:00+05:30");
  for (const std::string zone : {"Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe"}) {
    CAPTURE(zone);
    error_of([&] { current_time_answer(json{{"time_zone", zone}}.dump(), moment); }, ErrorKind::usage);
  }
}

TEST_CASE("open_url: which addresses are not public") {
  for (const std::string address : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                                    "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1", "::1", "::",
                                    "fe80::1", "fd00::1", "ff02::1", "::ffff:127.0.0.1", "not an address",
                                    "192.0.0.8", "198.18.0.1", "198.19.255.254", "64:ff9b::7f00:1",
                                    "64:ff9b::a00:1", "fec0::1"}) {
    CAPTURE(address);
    CHECK(is_non_public_address(address));
  }
  for (const std::string address : {"1.1.1.1", "172.32.0.1", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8",
                                    "198.20.0.1", "192.0.1.1", "64:ff9b::808:808"}) {
    CAPTURE(address);
    CHECK_FALSE(is_non_public_address(address));
  }
}

TEST_CASE("open_url: HTML becomes readable text; bad arguments are refused") {
  auto text = html_to_text(
      "<!doctype html><html><head><title>Orders</title><style>p{color:red}</style></head>"
      "<body><script>alert(1)</script><h1>Status</h1><p>Order <b>7</b> has   shipped.</p>"
      "<ul><li>one</li><li>two</li></ul></body></html>");
  CHECK(text == "Title: Orders\n\nStatus\nOrder 7 has shipped.\n- one\n- two");
  CancelToken cancel;
  OpenUrlPolicy policy;
  for (const std::string arguments : {"{}", "{\"urls\": []}", "{\"urls\": \"x\"}",
                                      "{\"urls\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}"}) {
    CAPTURE(arguments);
    error_of([&] { open_url_answer(arguments, policy, cancel); }, ErrorKind::usage);
  }
  CHECK(error_of([&] { open_url_answer("{\"urls\": [\"ftp://example.com/x\"]}", policy, cancel); }, ErrorKind::usage)
            .find("not an http or https URL") != std::string::npos);
}

TEST_CASE("open_url: a page is read; a failing URL among several is reported in its own block") {
  FakeUpstream site;
  site.answer_get("/final", {{"note", "arrived"}});
  OpenUrlPolicy allowed{.allow_private = true};
  CancelToken cancel;
  auto answer = open_url_answer(json{{"urls", {site.root_url() + "/final"}}}.dump(), allowed, cancel);
  CHECK(answer.find("arrived") != std::string::npos);
  CHECK(answer.find("Status: 200") != std::string::npos);
  // One good URL and one missing: the call succeeds and says which failed.
  auto mixed = open_url_answer(json{{"urls", {site.root_url() + "/final", site.root_url() + "/absent"}}}.dump(),
                               allowed, cancel);
  CHECK(mixed.find("Status: 404") != std::string::npos);
}

TEST_CASE("built-in tools source: offers what the gateway names, ignores memory") {
  BuiltinToolsSource source({"memory", "current_time"}, OpenUrlPolicy{});
  auto tools = source.definitions();
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["function"]["name"] == "current_time");
  CHECK_FALSE(BuiltinToolsSource::offers_any({"memory"}));
  error_of([&] { source.run({"c", "open_url", "{}"}, CancelToken()); }, ErrorKind::usage);
}

TEST_CASE("open_url: only the first 5 MB of a page are read, and the answer says so") {
  FakeUpstream site;
  site.answer_get("/big", {{"text", std::string(6u << 20, 'a')}});
  CancelToken cancel;
  auto answer = open_url_answer(json{{"urls", {site.root_url() + "/big"}}}.dump(), OpenUrlPolicy{.allow_private = true},
                                cancel);
  CHECK(answer.find("Status: 200 (only the first 5 MB were read)") != std::string::npos);
  CHECK(answer.size() < kOpenUrlMostBytes + 1000);
  CHECK(answer.size() > kOpenUrlMostBytes);
}

TEST_CASE("open_url: redirects are followed by weir (relative ones too), at most 5") {
  httplib::Server site;
  site.Get("/start", [](const httplib::Request&, httplib::Response& response) { response.set_redirect("/middle/next"); });
  site.Get("/middle/next", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("final.html", 301);
  });
  site.Get("/middle/final.html", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("<html><body><p>Redirected here.</p></body></html>", "text/html");
  });
  site.Get("/loop", [](const httplib::Request&, httplib::Response& response) { response.set_redirect("/loop"); });
  int port = site.bind_to_any_port("127.0.0.1");
  std::thread server([&] { site.listen_after_bind(); });
  // bind_to_any_port already listens: a connection waits in the backlog until the loop accepts it.
  const auto root = "http://127.0.0.1:" + std::to_string(port);
  CancelToken cancel;
  OpenUrlPolicy allowed{.allow_private = true};
  auto answer = open_url_answer(json{{"urls", {root + "/start"}}}.dump(), allowed, cancel);
  CHECK(answer.find("Redirected here.") != std::string::npos);
  CHECK(answer.find("after redirects, at " + root + "/middle/final.html") != std::string::npos);
  CHECK(error_of([&] { open_url_answer(json{{"urls", {root + "/loop"}}}.dump(), allowed, cancel); }, ErrorKind::usage)
            .find("redirected more than 5 times") != std::string::npos);
  site.stop();
  server.join();
}

TEST_CASE("http function: a receiver slower than timeout_ms is a failed call naming the limit") {
  FakeUpstream receiver;
  receiver.answer_posts_matching("/slow");
  receiver.enqueue(ScriptedResponse::stalled({}, std::chrono::seconds(5)));
  auto record = function_record(receiver.root_url() + "/slow");
  record["timeout_ms"] = 300;
  auto home = std::filesystem::temp_directory_path() / ("weir-gateway-tools-c-" + std::to_string(::getpid()));
  HttpFunctionSource source("test", {http_function_from_record(record, "functions[0]", "test")}, home.string(), {});
  auto message =
      error_of([&] { source.run({"call", "lookup", "{\"id\": 1}"}, CancelToken()); }, ErrorKind::upstream_timeout);
  CHECK(message.find("function 'lookup' did not answer within 300 ms") != std::string::npos);
  std::filesystem::remove_all(home);
}

TEST_CASE("gateway tools: offered per the gateway, none for a caller who may not use tools, no fetch in a dry run") {
  auto config = GatewayConfig::from_json({{"provider", "local"},
                                          {"model", "extractive"},
                                          {"functions", json::array({function_record("http://127.0.0.1:1/f")})},
                                          {"function_sources", json::array({"http://127.0.0.1:1/unreachable"})},
                                          {"builtin_tools", json::array({"current_time", "memory"})}});
  ToolRegistry dry_run;
  add_gateway_tools(dry_run, config, {.home = "/nonexistent", .caller = {}, .cancel = nullptr, .tools_allowed = true});
  CHECK(dry_run.handles("lookup"));
  CHECK(dry_run.handles("current_time"));
  CHECK_FALSE(dry_run.handles("memory"));  // offered by the memory source, not this one

  ToolRegistry refused;
  add_gateway_tools(refused, config, {.home = "/nonexistent", .caller = {}, .cancel = nullptr, .tools_allowed = false});
  CHECK(refused.empty());
}
