// OpenAPI service settings — where an OpenAPI description is and how its
// service is called, as `weir mcp serve --openapi` (and its --config file)
// give them, and loading them into an OpenApiService
// (openapi_tool_source.hpp).
//
// load_openapi_service() reads the document from a file or an http(s) URL
// (at most 10 MB, 30 s), reads it (openapi_document.hpp), keeps the named
// operations (less the denied ones) and picks the base URL: `base_url` when given, else the
// document's first server URL (a relative one is resolved against the
// document's URL; from a file it must be absolute; a fetched document with
// headers configured needs `base_url`: it must not choose where they go). Error(usage) naming the
// document for anything missing or wrong; the skipped operations are
// returned for the caller to tell the user.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tools/openapi_tool_source.hpp"

namespace weir {

struct OpenApiServiceSettings {
  std::string document;  // a file path or an http(s) URL
  std::string base_url;  // "" : the document's first server
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> operations;  // operationIds or tool names; empty: all
  std::vector<std::string> deny;        // never these (a name the document lacks is no error)
  int timeout_ms = 30'000;

  // {"document", "base_url", "headers": {NAME: VALUE}, "operations": [...],
  // "deny": [...], "timeout_ms"}; Error(usage) naming `where` and the key at fault.
  static OpenApiServiceSettings from_json(const nlohmann::json& value, const std::string& where);
  // What from_json() reads, with only the keys that differ from the defaults.
  nlohmann::json to_json() const;
};

// Whether `text` is an http(s) URL: a document given so is fetched, else it
// is a file path.
bool is_http_url(const std::string& text);

// "NAME:VALUE" (spaces around VALUE dropped) as a header; Error(usage) otherwise.
std::pair<std::string, std::string> parse_header_argument(const std::string& text, const std::string& what);

struct LoadedOpenApiService {
  OpenApiService service;
  std::vector<std::string> skipped;
};

LoadedOpenApiService load_openapi_service(const OpenApiServiceSettings& settings);

}  // namespace weir
