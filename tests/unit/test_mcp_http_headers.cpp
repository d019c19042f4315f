// How the X-Mcp-* headers of an initialize request become the tools of an
// MCP-over-HTTP session (mcp/http_session_config.hpp): the ServeConfig they
// map onto, and errors that name the header at fault.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "mcp/http_session_config.hpp"

using weir::mcp::protocol::HttpHeaders;
using weir::mcp::protocol::HttpRequestView;

TEST_CASE("session headers: mapped onto ServeConfig; bad or missing ones are named") {
  using weir::mcp::HttpEndpoint;
  using weir::mcp::session_config_from_headers;
  auto config_of = [](HttpEndpoint endpoint, HttpHeaders headers) {
    HttpRequestView request;
    request.method = "POST";
    request.headers = &headers;
    return session_config_from_headers(endpoint, request);
  };
  auto inference = config_of(HttpEndpoint::inference, {{"x-mcp-model-name", "helper"},
                                                       {"x-mcp-tool-name", "Support Bot"},
                                                       {"x-mcp-tool-title", "Support"},
                                                       {"x-mcp-user", "ana"}});
  REQUIRE(inference.tools.gateways.size() == 1);
  CHECK(inference.tools.gateways[0].gateway == "helper");
  CHECK(inference.tools.gateways[0].name() == "invoke_support_bot");
  CHECK(inference.tools.gateways[0].title == "Support");
  CHECK(inference.user == "ana");
  CHECK_THROWS_WITH_AS(config_of(HttpEndpoint::inference, {}), doctest::Contains("X-Mcp-Model-Name"), weir::Error);
  CHECK_THROWS_WITH_AS(config_of(HttpEndpoint::inference, {{"x-mcp-model-name", "g"}, {"x-mcp-tool-name", "!!!"}}),
                       doctest::Contains("X-Mcp-Tool-Name"), weir::Error);

  auto collections = config_of(HttpEndpoint::collections, {{"x-mcp-collection-name", "kb, faq"},
                                                           {"x-mcp-collection-id", "0190a1b2-0000-7000-8000-000000000000"},
                                                           {"x-mcp-top-k", "3"},
                                                           {"x-mcp-min-score", "0.1"},
                                                           {"x-mcp-reranker", "none"},
                                                           {"x-mcp-use-references", "true"},
                                                           {"x-mcp-allow-write", "yes"}});
  REQUIRE(collections.tools.collection_sets.size() == 1);
  const auto& set = collections.tools.collection_sets[0];
  CHECK(set.collections.size() == 3);
  CHECK(set.top_k == 3);
  CHECK(set.min_score == doctest::Approx(0.1));
  CHECK(set.reranker == "none");
  CHECK(set.include_references);
  CHECK(set.allow_write);
  CHECK_THROWS_WITH_AS(config_of(HttpEndpoint::collections, {}), doctest::Contains("X-Mcp-Collection-Name"),
                       weir::Error);
  auto bad = [&](const std::string& header, const std::string& value, const std::string& expected) {
    CHECK_THROWS_WITH_AS(config_of(HttpEndpoint::collections, {{"x-mcp-collection-name", "kb"}, {header, value}}),
                         doctest::Contains(expected.c_str()), weir::Error);
  };
  bad("x-mcp-top-k", "0", "X-Mcp-Top-K must be 1..128, got 0");
  bad("x-mcp-top-k", "five", "X-Mcp-Top-K: must be a whole number 1..128");
  bad("x-mcp-min-score", "1.5", "X-Mcp-Min-Score must be 0.01..0.99");
  bad("x-mcp-min-score", "high", "X-Mcp-Min-Score: must be a number 0.01..0.99");
  bad("x-mcp-reranker", "magic", "X-Mcp-Reranker");
  bad("x-mcp-use-references", "maybe", "X-Mcp-Use-References: must be true or false");
  bad("x-mcp-allow-write", "2", "X-Mcp-Allow-Write: must be true or false");
}
