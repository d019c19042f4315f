// OpenAPI documents — the operations of an OpenAPI 3.0 or 3.1 description
// (JSON or YAML), each made a tool a model can call (openapi_tool_source.hpp).
//
// read_openapi() resolves every local `$ref` ("#/components/schemas/Pet",
// "#/components/parameters/...", "#/components/requestBodies/...", and refs
// inside those), merges path-level parameters into each operation (an
// operation's own parameter of the same name and place wins) and builds
// each operation's tool, listed by path (sorted) and within a path in the
// order GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE:
// - name: its operationId made an identifier ([A-Za-z0-9_-], at most 64
//   characters), or, without one, method and path ("get_pets_petId"); a name
//   taken twice gets "_2", "_3"...;
// - description: summary and description, or "METHOD PATH";
// - input schema: an object whose properties are the path, query and header
//   parameters by name (a name used in two places is prefixed with the
//   place: "header_id") with their schemas and descriptions, and `body` for
//   a JSON request body; required parameters and a required body are
//   `required`; nothing else is allowed.
// A recursive schema is cut where it refers to itself (there it accepts any
// value); a `$ref` to another document, an operation whose only request
// body is not JSON (it is skipped and named in `skipped`), cookie
// parameters (ignored) are the limits. Swagger 2.0, a document without
// `openapi: 3.x`, or one without paths is Error(usage) saying so; so is a
// `$ref` that points nowhere, naming it, and a document that grows past a
// million values or 64 MiB of text once its `$ref`s are inlined.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

struct OpenApiParameter {
  std::string name;      // as the API names it
  std::string location;  // "path", "query" or "header"
  std::string property;  // its property in the tool's input: the name, or "<location>_<name>"
  bool required = false;
  nlohmann::json schema = nlohmann::json::object();
};

struct OpenApiOperation {
  std::string tool_name;
  std::string operation_id;  // as written; "" when the document has none
  std::string method;        // upper case: GET, POST...
  std::string path;          // the template: "/pets/{petId}"
  std::string description;
  std::vector<OpenApiParameter> parameters;
  bool has_body = false;
  bool body_required = false;
  nlohmann::json input_schema;
};

struct OpenApiDocument {
  std::string title;
  std::vector<std::string> server_urls;  // servers[].url, as written
  std::vector<OpenApiOperation> operations;
  std::vector<std::string> skipped;  // "POST /upload: its request body is multipart/form-data, not JSON"
};

// `text`: the document, JSON or YAML; `source` names it in errors.
OpenApiDocument read_openapi(std::string_view text, const std::string& source);

// The operations named in `wanted` (operationIds or tool names), in
// read_openapi()'s order; Error(usage) naming any that is not there and listing
// those that are. An empty `wanted` keeps them all.
std::vector<OpenApiOperation> select_operations(const OpenApiDocument& document,
                                                const std::vector<std::string>& wanted, const std::string& source);

}  // namespace weir
