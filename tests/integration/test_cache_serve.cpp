// The response cache through the built binary: `weir serve` marks answers
// X-Weir-Cache and replays a hit as SSE chunks with no upstream call;
// Cache-Control: no-cache bypasses it; `weir chat` streams a hit and takes
// -o cache=false; `weir cache stats|clear`; `gateway show` prints the block.
#include <doctest/doctest.h>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/store_change.hpp"
#include "tests/support/weir_process.hpp"

using namespace weir::testing;
namespace chunk = openai_chunk;

namespace {

struct CacheServeFixture {
  FakeUpstream upstream;
  WeirHome home;

  CacheServeFixture() {
    run_ok({"provider", "add", "fake", "--base-url", upstream.base_url(), "--max-retries", "0"});
    run_ok({"gateway", "create", "cached", "--provider", "fake", "--model", "fake-model", "--cache", "exact",
            "--cache-ttl-seconds", "600"});
  }
  ProcessResult run_ok(const std::vector<std::string>& arguments) {
    auto result = home.run(arguments);
    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    return result;
  }
  json cache_stats() {
    json rows;
    wait_for_store(home.path(), [&] {
      rows = json::parse(run_ok({"cache", "stats", "--json"}).out);
      return !rows.empty() && rows[0]["hits"].get<int>() + rows[0]["misses"].get<int>() >= 1;
    });
    return rows;
  }
};

// The content of every chunk of an SSE body, in order.
std::vector<std::string> streamed_pieces(const std::string& body) {
  std::vector<std::string> pieces;
  size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    auto end = body.find("\n\n", at);
    auto payload = body.substr(at + 6, end - at - 6);
    at = end;
    if (payload == "[DONE]") break;
    auto event = json::parse(payload);
    if (!event["choices"].empty() && event["choices"][0]["delta"].contains("content"))
      pieces.push_back(event["choices"][0]["delta"]["content"].get<std::string>());
  }
  return pieces;
}

}  // namespace

TEST_CASE("cache serve: a repeated request is a hit with no upstream call, streamed or not") {
  CacheServeFixture fixture;
  fixture.upstream.enqueue(ScriptedResponse::sse({chunk::role(), chunk::content("Cached "), chunk::content("answer."),
                                                  chunk::finish("stop"), chunk::usage(10, 5), chunk::kDone}));
  ServeProcess serve(fixture.home);
  json streamed = {{"model", "cached"}, {"prompt", "what is weir?"}, {"stream", true}};
  auto miss = post_chat(serve.port(), streamed);
  REQUIRE(miss.status == 200);
  CHECK(miss.header("x-weir-cache") == "miss");
  REQUIRE(fixture.upstream.request_count() == 1);

  auto hit = post_chat(serve.port(), streamed);
  REQUIRE(hit.status == 200);
  CHECK(hit.header("x-weir-cache") == "hit");
  CHECK(hit.header("content-type").find("text/event-stream") != std::string::npos);
  CHECK(streamed_pieces(hit.body) == std::vector<std::string>{"Cached ", "answer."});
  CHECK(hit.body.find("\"finish_reason\":\"stop\"") != std::string::npos);
  CHECK(hit.body.find("data: [DONE]") != std::string::npos);

  // The same request unstreamed is the same key: the whole answer at once.
  auto whole = post_chat(serve.port(), {{"model", "cached"}, {"prompt", "what is weir?"}});
  REQUIRE(whole.status == 200);
  CHECK(whole.header("x-weir-cache") == "hit");
  auto body = body_json(whole);
  CHECK(body["choices"][0]["message"]["content"] == "Cached answer.");
  CHECK(body["generation_context"]["cache"]["status"] == "hit");
  CHECK(fixture.upstream.request_count() == 1);

  // Cache-Control: no-cache asks for a fresh answer.
  auto fresh = post_chat(serve.port(), {{"model", "cached"}, {"prompt", "what is weir?"}},
                         {{"Cache-Control", "no-cache"}});
  REQUIRE(fresh.status == 200);
  CHECK(fresh.header("x-weir-cache") == "bypass");
  CHECK(body_json(fresh)["generation_context"]["cache"]["status"] == "bypass");
  CHECK(fixture.upstream.request_count() == 2);

  auto stats = fixture.cache_stats();
  wait_for_store(fixture.home.path(), [&] {
    stats = json::parse(fixture.run_ok({"cache", "stats", "--json"}).out);
    return stats[0]["hits"] == 2 && stats[0]["misses"] == 1;
  });
  CHECK(stats[0]["gateway"] == "cached");
  CHECK(stats[0]["entries"] == 1);
}

TEST_CASE("cache cli: weir chat streams a hit, -o cache=false bypasses, cache clear empties, gateway show prints") {
  CacheServeFixture fixture;
  auto first = fixture.run_ok({"chat", "cached", "hello there"});
  CHECK(first.out.find("Hello from the fake upstream.") != std::string::npos);
  auto second = fixture.run_ok({"--json", "chat", "cached", "hello there"});
  auto answer = json::parse(second.out);
  CHECK(answer["choices"][0]["message"]["content"] == "Hello from the fake upstream.");
  CHECK(answer["generation_context"]["cache"]["status"] == "hit");
  CHECK(fixture.upstream.request_count() == 1);
  auto streamed = fixture.run_ok({"chat", "cached", "hello there"});
  CHECK(streamed.out == first.out);
  CHECK(fixture.upstream.request_count() == 1);

  auto bypass = json::parse(fixture.run_ok({"--json", "chat", "cached", "hello there", "-o", "cache=false"}).out);
  CHECK(bypass["generation_context"]["cache"]["status"] == "bypass");
  CHECK(fixture.upstream.request_count() == 2);

  auto stats = json::parse(fixture.run_ok({"cache", "stats", "cached", "--json"}).out);
  REQUIRE(stats.size() == 1);
  CHECK(stats[0]["hits"] == 2);
  CHECK(stats[0]["misses"] == 1);
  CHECK(stats[0]["entries"] == 1);
  CHECK(fixture.run_ok({"cache", "stats"}).out.find("cached") != std::string::npos);
  CHECK(fixture.run_ok({"cache", "clear", "cached"}).out.find("removed 1 stored answer") != std::string::npos);
  fixture.run_ok({"chat", "cached", "hello there"});
  CHECK(fixture.upstream.request_count() == 3);

  auto shown = json::parse(fixture.run_ok({"--json", "gateway", "show", "cached"}).out);
  CHECK(shown["cache"]["mode"] == "exact");
  CHECK(shown["cache"]["ttl_seconds"] == 600);
  CHECK(shown["cache"]["max_temperature"] == 1.0);
  auto text = fixture.run_ok({"gateway", "show", "cached"}).out;
  CHECK(text.find("cache") != std::string::npos);
  auto refused = fixture.home.run({"gateway", "update", "cached", "--cache", "fuzzy"});
  CHECK(refused.exit_code == 2);
}
