// OpenApiToolSource — the operations of an OpenAPI document
// (openapi_document.hpp) as tools, each call sent to the service the
// document describes.
//
// A call:
// 1. its arguments are parsed and checked against the operation's input
//    schema; arguments that are not a JSON object or break the schema are
//    Error(usage) quoting every violation, and nothing is sent (the model,
//    or the MCP client, can correct the call);
// 2. the request is built: path parameters substituted percent-encoded
//    ('/' encoded too; "." and ".." refused: a dot-segment would reach
//    another endpoint), query parameters appended (an array as one
//    `name=value` per item, an object as its JSON text), header parameters
//    and the service's configured headers set (`${NAME}` read from weir's
//    environment at call time, so credentials stay out of the config; a
//    parameter may not override a configured header, and a value holding a
//    line break is refused), `body` sent as JSON;
// 3. the answer: any HTTP status comes back as the tool's result text,
//    "HTTP 404" first, then the body (JSON as sent, text as is, at
//    most kMostResultBytes, cut on a character boundary and saying so); a
//    status of 400 or more marks the result failed (an MCP `isError`), which
//    a model can act on. Only a service that cannot be reached, or does not
//    answer within the timeout, is an Error(upstream/upstream_timeout).
// URLs in messages are redacted (core/redaction.hpp); configured headers
// never appear in any message. There are no retries: a call may have
// effects. Cancellation ends a call within ~50 ms with Error(interrupted).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_schema.hpp"
#include "core/net/http_client.hpp"
#include "core/tools/openapi_document.hpp"
#include "core/tools/tool_source.hpp"

namespace weir {

struct OpenApiService {
  std::string name;      // for people: the document's title, or its file
  std::string base_url;  // the operations' paths are appended to it
  std::vector<std::pair<std::string, std::string>> headers;  // as configured
  std::vector<OpenApiOperation> operations;
  int timeout_ms = 30'000;
};

class OpenApiToolSource final : public ToolSource {
 public:
  static constexpr size_t kMostResultBytes = 100 * 1024;
  static constexpr size_t kMostResponseBytes = size_t{10} << 20;

  // Compiles each operation's input schema: Error(usage) naming the
  // operation when one is not a usable JSON Schema. Error(usage) when the
  // base URL is not http(s).
  explicit OpenApiToolSource(OpenApiService service);

  std::string owner() const override { return "OpenAPI service '" + service_.name + "'"; }
  nlohmann::json definitions() const override;
  ToolOutput run(const ToolCall& call, const ToolCallContext& context) override;

  const OpenApiService& service() const { return service_; }
  // The request a call of operation `tool_name` with `arguments` (already
  // checked) sends.
  HttpRequest request_for(const std::string& tool_name, const nlohmann::json& arguments) const;

 private:
  struct Operation {
    OpenApiOperation described;
    JsonSchema schema;
  };
  const Operation& operation(const std::string& tool_name) const;

  OpenApiService service_;
  std::vector<Operation> operations_;
};

}  // namespace weir
