// The pure parts of the MCP front door and protocol library: tool-name
// normalisation, version negotiation, message classification, size limits.
#include <doctest/doctest.h>

#include <unistd.h>

#include <thread>

#include "core/error.hpp"
#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/line_reader.hpp"
#include "mcp/protocol/versions.hpp"
#include "mcp/serve_config.hpp"
#include "mcp/tool_names.hpp"

using namespace weir::mcp;
using nlohmann::json;

TEST_CASE("tool names become identifiers: lower case, anything else an underscore") {
  CHECK(tool_identifier("ai_model") == "ai_model");
  CHECK(tool_identifier("Support Bot") == "support_bot");
  CHECK(tool_identifier("docs-v2.1") == "docs_v2_1");
  CHECK(tool_identifier("café") == "caf_");  // one underscore per character, not per byte
  CHECK_THROWS_AS(tool_identifier("!!!"), weir::Error);
  CHECK(tool_name("invoke_", "Ask Me", "") == "invoke_ask_me");
  CHECK_THROWS_AS(tool_name("", std::string(60, 'a'), "_search"), weir::Error);
  GatewayToolConfig gateway;
  gateway.gateway = "g";
  CHECK(gateway.name() == "invoke_ai_model");
  CollectionToolConfig set;
  set.collections = {"Docs", "FAQ"};
  CHECK(set.base_name() == "docs_faq");
}

TEST_CASE("version negotiation: the requested version when supported, else the latest") {
  using weir::mcp::protocol::negotiate_version;
  CHECK(negotiate_version("2025-11-25") == "2025-11-25");
  CHECK(negotiate_version("2025-06-18") == "2025-06-18");
  CHECK(negotiate_version("2025-03-26") == "2025-03-26");
  CHECK(negotiate_version("2024-11-05") == "2024-11-05");
  CHECK(negotiate_version("2024-10-07") == "2025-11-25");
  CHECK(negotiate_version("") == "2025-11-25");
}

TEST_CASE("JSON-RPC classification") {
  using namespace weir::mcp::protocol;
  CHECK(classify(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}}).kind == MessageKind::request);
  CHECK(classify(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}).kind == MessageKind::notification);
  CHECK(classify(json{{"jsonrpc", "2.0"}, {"id", 1}, {"result", json::object()}}).kind == MessageKind::response);
  auto null_id = classify(json{{"jsonrpc", "2.0"}, {"id", nullptr}, {"method", "ping"}});
  CHECK(null_id.kind == MessageKind::invalid);
  auto no_version = classify(json{{"id", "x"}, {"method", "ping"}});
  CHECK(no_version.kind == MessageKind::invalid);
  CHECK(no_version.id == "x");
  CHECK(classify(json::array()).kind == MessageKind::invalid);
  CHECK(classify(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "x"}, {"params", 3}}).kind == MessageKind::invalid);
}

TEST_CASE("message text: the JSON input policy's problems become -32600 (too deep) or -32700 (the rest)") {
  using weir::mcp::protocol::read_message_text;
  CHECK(read_message_text(R"({"a": "[[[[{{{{\"[["})").error_code == 0);
  auto deep = read_message_text(std::string(129, '[') + std::string(129, ']'));
  CHECK(deep.error_code == -32600);
  CHECK(deep.error_message.find("nested more than 128 levels") != std::string::npos);
  CHECK(read_message_text(std::string(128, '[') + std::string(128, ']')).error_code == 0);
  auto huge = read_message_text(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1e999}})");
  CHECK(huge.error_code == -32700);
  CHECK(huge.error_message.find("1e999") != std::string::npos);
  auto twice = read_message_text(R"({"jsonrpc":"2.0","id":1,"id":2,"method":"ping"})");
  CHECK(twice.error_code == -32700);
  CHECK(twice.error_message.find("\"id\" appears twice") != std::string::npos);
  auto bad_utf8 = read_message_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xffing\"}");
  CHECK(bad_utf8.error_code == -32700);
  CHECK(bad_utf8.error_message.find("invalid UTF-8") != std::string::npos);
}

TEST_CASE("LineReader: lines, blank lines, an oversize line skipped whole, the last unterminated line") {
  using weir::mcp::protocol::LineReader;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::string input = "one\r\n\n  \n" + std::string(100, 'x') + "\ntwo\nlast";
  std::thread writer([&] {
    size_t written = 0;
    while (written < input.size()) {
      auto count = write(fds[1], input.data() + written, std::min<size_t>(7, input.size() - written));
      REQUIRE(count > 0);
      written += static_cast<size_t>(count);
    }
    close(fds[1]);
  });
  LineReader reader(fds[0], 50);
  auto first = reader.next();
  CHECK(first.status == LineReader::Status::line);
  CHECK(first.text == "one");
  auto big = reader.next();
  CHECK(big.status == LineReader::Status::too_large);
  CHECK(big.bytes == 100);
  CHECK(reader.next().text == "two");
  CHECK(reader.next().text == "last");
  CHECK(reader.next().status == LineReader::Status::end);
  writer.join();
  close(fds[0]);
}

TEST_CASE("serve configuration from JSON: unknown keys and wrong types are named") {
  ServeConfig config;
  config.add_json(json{{"gateways", {{{"gateway", "g"}}}}, {"collections", {{{"collections", "a, b"}, {"top_k", 3}}}}},
                  "mcp.json");
  REQUIRE(config.collection_sets.size() == 1);
  CHECK(config.collection_sets[0].collections == std::vector<std::string>{"a", "b"});
  CHECK(config.collection_sets[0].top_k == 3);
  config.validate();
  ServeConfig unknown;
  CHECK_THROWS_WITH_AS(unknown.add_json(json{{"gateway", "g"}}, "f.json"), doctest::Contains("unknown key 'gateway'"),
                       weir::Error);
  ServeConfig wrong;
  CHECK_THROWS_WITH_AS(wrong.add_json(json{{"collections", {{{"collections", {"a"}}, {"top_k", "many"}}}}}, "f.json"),
                       doctest::Contains("top_k"), weir::Error);
  ServeConfig duplicate;
  duplicate.add_json(json{{"gateways", {{{"gateway", "a"}}, {{"gateway", "b"}}}}}, "f.json");
  CHECK_THROWS_WITH_AS(duplicate.validate(), doctest::Contains("invoke_ai_model"), weir::Error);
}
