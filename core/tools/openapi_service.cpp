#include "core/tools/openapi_service.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/net/http_client.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr size_t kMostDocumentBytes = size_t{10} << 20;
constexpr int kDocumentTimeoutMs = 30'000;

std::string read_document(const std::string& where) {
  if (is_http_url(where)) {
    HttpRequest request;
    request.url = where;
    request.headers = {{"Accept", "application/json, application/yaml, text/yaml, */*"}};
    request.total_timeout_ms = kDocumentTimeoutMs;
    request.idle_timeout_ms = kDocumentTimeoutMs;
    CancelToken never;
    HttpResponse response;
    try {
      response = fetch_http(request, never, kMostDocumentBytes);
    } catch (const Error& error) {
      throw Error(ErrorKind::usage, "cannot fetch the OpenAPI document " + redact_url(where) + ": " +
                                        redact_urls_in_text(error.what()));
    }
    if (response.head.status != 200)
      throw Error(ErrorKind::usage, "cannot fetch the OpenAPI document " + redact_url(where) + ": HTTP " +
                                        std::to_string(response.head.status));
    return response.body;
  }
  std::ifstream file(where, std::ios::binary);
  if (!file) throw Error(ErrorKind::usage, "cannot read the OpenAPI document " + where + ": no such readable file");
  std::ostringstream text;
  text << file.rdbuf();
  if (text.str().size() > kMostDocumentBytes)
    throw Error(ErrorKind::usage, "the OpenAPI document " + where + " is larger than 10 MB");
  return text.str();
}

// `relative` ("/v1", "v1") against the URL a document came from.
std::string resolve_against(const std::string& document_url, const std::string& relative) {
  auto scheme_end = document_url.find("://") + 3;
  auto path_start = document_url.find('/', scheme_end);
  auto origin = path_start == std::string::npos ? document_url : document_url.substr(0, path_start);
  if (relative.starts_with("/")) return origin + relative;
  auto directory = path_start == std::string::npos ? origin + "/" : document_url.substr(0, document_url.rfind('/') + 1);
  return directory + relative;
}

}  // namespace

std::pair<std::string, std::string> parse_header_argument(const std::string& text, const std::string& what) {
  auto colon = text.find(':');
  auto name = colon == std::string::npos ? std::string() : text.substr(0, colon);
  if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos)
    throw Error(ErrorKind::usage, what + " must be NAME:VALUE (for example 'Authorization: Bearer ${API_TOKEN}')");
  auto value = text.substr(colon + 1);
  auto first = value.find_first_not_of(" \t");
  value = first == std::string::npos ? std::string() : value.substr(first);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  return {name, value};
}

OpenApiServiceSettings OpenApiServiceSettings::from_json(const json& value, const std::string& where) {
  if (!value.is_object()) throw Error(ErrorKind::usage, where + " must be an object");
  OpenApiServiceSettings settings;
  for (const auto& [key, item] : value.items()) {
    auto at = where + "." + key;
    if (key == "document" && item.is_string()) {
      settings.document = item.get<std::string>();
    } else if (key == "base_url" && item.is_string()) {
      settings.base_url = item.get<std::string>();
    } else if (key == "headers" && item.is_object()) {
      for (const auto& [name, header] : item.items()) {
        if (!header.is_string()) throw Error(ErrorKind::usage, at + "." + name + " must be a string");
        settings.headers.emplace_back(parse_header_argument(name + ":" + header.get<std::string>(), at + "." + name));
      }
    } else if ((key == "operations" || key == "deny") && item.is_array()) {
      for (const auto& operation : item) {
        if (!operation.is_string()) throw Error(ErrorKind::usage, at + " must be a list of operation ids");
        (key == "deny" ? settings.deny : settings.operations).push_back(operation.get<std::string>());
      }
    } else if (key == "timeout_ms" && item.is_number_integer() && item.get<long long>() >= 100 &&
               item.get<long long>() <= 600'000) {
      settings.timeout_ms = item.get<int>();
    } else if (key == "document" || key == "base_url" || key == "headers" || key == "operations" || key == "deny" ||
               key == "timeout_ms") {
      throw Error(ErrorKind::usage, at + " has the wrong type: document and base_url are strings, headers an "
                                         "object of strings, operations and deny lists of strings, timeout_ms "
                                         "100..600000");
    } else {
      throw Error(ErrorKind::usage, where + " has an unknown key '" + key +
                                        "'; known: document, base_url, headers, operations, deny, timeout_ms");
    }
  }
  if (settings.document.empty()) throw Error(ErrorKind::usage, where + ".document is required");
  return settings;
}

json OpenApiServiceSettings::to_json() const {
  json record = {{"document", document}};
  if (!base_url.empty()) record["base_url"] = base_url;
  if (!headers.empty()) {
    json named = json::object();
    for (const auto& [name, value] : headers) named[name] = value;
    record["headers"] = named;
  }
  if (!operations.empty()) record["operations"] = operations;
  if (!deny.empty()) record["deny"] = deny;
  if (timeout_ms != OpenApiServiceSettings().timeout_ms) record["timeout_ms"] = timeout_ms;
  return record;
}

bool is_http_url(const std::string& text) {
  return text.starts_with("http://") || text.starts_with("https://");
}

LoadedOpenApiService load_openapi_service(const OpenApiServiceSettings& settings) {
  auto shown = is_http_url(settings.document) ? redact_url(settings.document) : settings.document;
  auto document = read_openapi(read_document(settings.document), "the OpenAPI document " + shown);
  LoadedOpenApiService loaded;
  loaded.skipped = document.skipped;
  auto& service = loaded.service;
  service.name = document.title.empty() ? shown : document.title;
  service.headers = settings.headers;
  service.timeout_ms = settings.timeout_ms;
  service.operations = select_operations(document, settings.operations, "the OpenAPI document " + shown);
  std::erase_if(service.operations, [&](const OpenApiOperation& operation) {
    return std::find_if(settings.deny.begin(), settings.deny.end(), [&](const std::string& denied) {
             return denied == operation.tool_name || (!operation.operation_id.empty() && denied == operation.operation_id);
           }) != settings.deny.end();
  });
  if (service.operations.empty())
    throw Error(ErrorKind::usage, "every operation of the OpenAPI document " + shown + " is denied; deny fewer");
  service.base_url = settings.base_url;
  if (service.base_url.empty()) {
    if (document.server_urls.empty())
      throw Error(ErrorKind::usage, "the OpenAPI document " + shown + " names no server; give --base-url");
    auto server = document.server_urls.front();
    if (server.find('{') != std::string::npos)
      throw Error(ErrorKind::usage, "the OpenAPI document " + shown + "'s server URL " + server +
                                        " has variables; give --base-url");
    // A fetched document must not decide where the credentials go.
    if (is_http_url(settings.document) && !settings.headers.empty())
      throw Error(ErrorKind::usage, "the OpenAPI document " + shown + " was fetched and headers are configured for "
                                        "its service; give --base-url, so the document cannot choose where they go");
    if (!is_http_url(server)) {
      if (!is_http_url(settings.document))
        throw Error(ErrorKind::usage, "the OpenAPI document " + shown + "'s server URL '" + server +
                                          "' is relative to where the document is served; give --base-url");
      server = resolve_against(settings.document, server);
    }
    service.base_url = server;
  }
  return loaded;
}

}  // namespace weir
