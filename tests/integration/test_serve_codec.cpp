// One OpenAI codec for every front door: through `weir serve`, a streamed
// answer and a non-streamed one report the same model (the gateway's upstream
// model id, whatever the upstream calls itself), and every chunk of a stream
// carries the id and model of its final usage chunk.
#include <doctest/doctest.h>

#include <sstream>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;

namespace {

// The JSON events of an SSE body, without [DONE].
std::vector<json> sse_events(const std::string& body) {
  std::vector<json> events;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("data: ", 0) != 0 || line == "data: [DONE]") continue;
    events.push_back(json::parse(line.substr(6)));
  }
  return events;
}

}  // namespace

TEST_CASE("serve: streamed and non-streamed answers report the same model, and a stream one id") {
  FakeUpstream upstream;
  WeirHome home;
  REQUIRE(home.run({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"}).exit_code == 0);
  REQUIRE(home.run({"gateway", "create", "assistant", "--provider", "fake", "--model", "fake-model"}).exit_code == 0);
  ServeProcess serve(home);

  upstream.enqueue(ScriptedResponse::text_answer("whole", false));
  auto whole = http_request(serve.port(), "POST", "/v1/chat/completions",
                            json{{"model", "assistant"}, {"prompt", "hi"}}.dump());
  REQUIRE_MESSAGE(whole.status == 200, whole.raw);
  auto completion = json::parse(whole.body);

  upstream.enqueue(ScriptedResponse::text_answer("streamed", true));
  auto streamed = http_request(
      serve.port(), "POST", "/v1/chat/completions",
      json{{"model", "assistant"}, {"prompt", "hi"}, {"stream", true}, {"stream_options", {{"include_usage", true}}}}
          .dump());
  REQUIRE_MESSAGE(streamed.status == 200, streamed.raw);
  auto events = sse_events(streamed.body);
  REQUIRE(events.size() >= 3);

  CHECK(completion["model"] == "fake-model");
  for (const auto& event : events) {
    CHECK(event["model"] == completion["model"]);
    CHECK(event["id"] == events.front()["id"]);
  }
  CHECK(events.back().contains("usage"));
  CHECK(events.front()["id"] != completion["id"]);  // two answers, two ids
}
