#include "core/tools/openapi_tool_source.hpp"

#include <algorithm>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/net/percent_encoding.hpp"
#include "core/outbound_values.hpp"
#include "core/redaction.hpp"
#include "core/utf8.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

// A parameter's value as text: strings as they are, the rest as JSON.
std::string parameter_text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

bool has_line_break(const std::string& text) { return text.find_first_of("\r\n") != std::string::npos; }

}  // namespace

OpenApiToolSource::OpenApiToolSource(OpenApiService service) : service_(std::move(service)) {
  while (service_.base_url.ends_with("/")) service_.base_url.pop_back();
  if (!service_.base_url.starts_with("http://") && !service_.base_url.starts_with("https://"))
    throw Error(ErrorKind::usage, "the base URL of OpenAPI service '" + service_.name + "' is '" +
                                      redact_url(service_.base_url) +
                                      "'; give an absolute http:// or https:// URL (--base-url)");
  for (const auto& [name, value] : service_.headers)
    if (name.empty() || has_line_break(name) || has_line_break(value) || name.find(':') != std::string::npos)
      throw Error(ErrorKind::usage, "a header of OpenAPI service '" + service_.name +
                                        "' is not a single NAME:VALUE line");
  for (const auto& described : service_.operations)
    operations_.push_back(
        {described, JsonSchema::compile(described.input_schema, "the input of operation " + described.tool_name)});
}

json OpenApiToolSource::definitions() const {
  json list = json::array();
  for (const auto& operation : operations_)
    list.push_back({{"type", "function"},
                    {"function",
                     {{"name", operation.described.tool_name},
                      {"description", operation.described.description},
                      {"parameters", operation.described.input_schema}}}});
  return list;
}

const OpenApiToolSource::Operation& OpenApiToolSource::operation(const std::string& tool_name) const {
  auto found = std::find_if(operations_.begin(), operations_.end(),
                            [&](const Operation& operation) { return operation.described.tool_name == tool_name; });
  if (found == operations_.end())
    throw Error(ErrorKind::usage, "OpenAPI service '" + service_.name + "' has no tool '" + tool_name + "'");
  return *found;
}

HttpRequest OpenApiToolSource::request_for(const std::string& tool_name, const json& arguments) const {
  const auto& described = operation(tool_name).described;
  auto refuse = [&](const std::string& problem) {
    return Error(ErrorKind::usage, "the arguments of " + tool_name + " cannot be sent: " + problem + "; nothing was sent");
  };
  std::string path = described.path;
  std::string query;
  HttpRequest request;
  request.method = described.method;
  std::vector<std::string> configured;
  for (const auto& [name, value] : service_.headers) {
    request.headers.emplace_back(
        name, resolve_environment_references(value, "OpenAPI service '" + service_.name + "' header " + name));
    configured.push_back(ascii_lowercase(name));
  }
  for (const auto& parameter : described.parameters) {
    auto found = arguments.find(parameter.property);
    if (found == arguments.end() || found->is_null()) continue;
    if (parameter.location == "path") {
      auto text = parameter_text(*found);
      if (text.empty()) throw refuse("path parameter '" + parameter.property + "' is empty");
      // Sent as a dot-segment, it would climb to another endpoint than the operation's.
      if (text == "." || text == "..") throw refuse("path parameter '" + parameter.property + "' is '" + text + "'");
      auto placeholder = "{" + parameter.name + "}";
      for (size_t at; (at = path.find(placeholder)) != std::string::npos;)
        path.replace(at, placeholder.size(), percent_encode(text));
    } else if (parameter.location == "query") {
      auto add = [&](const json& value) {
        query += (query.empty() ? "?" : "&") + percent_encode(parameter.name) + "=" + percent_encode(parameter_text(value));
      };
      if (found->is_array())
        for (const auto& item : *found) add(item);
      else
        add(*found);
    } else {
      auto text = parameter_text(*found);
      if (has_line_break(text)) throw refuse("header parameter '" + parameter.property + "' holds a line break");
      if (std::find(configured.begin(), configured.end(), ascii_lowercase(parameter.name)) != configured.end())
        throw refuse("header '" + parameter.name + "' is set by weir's configuration of this service");
      request.headers.emplace_back(parameter.name, text);
    }
  }
  if (path.find('{') != std::string::npos)
    throw refuse("the path " + path + " still has a parameter no argument filled");
  request.url = service_.base_url + path + query;
  request.headers.emplace_back("Accept", "application/json, text/plain;q=0.9, */*;q=0.5");
  if (described.has_body) {
    auto body = arguments.find("body");
    if (body != arguments.end()) {
      request.body = body->dump();
      request.headers.emplace_back("Content-Type", "application/json");
    }
  }
  request.connect_timeout_ms = std::min(service_.timeout_ms, 10'000);
  request.idle_timeout_ms = service_.timeout_ms;
  request.total_timeout_ms = service_.timeout_ms;
  return request;
}

ToolOutput OpenApiToolSource::run(const ToolCall& call, const ToolCallContext& context) {
  const auto& chosen = operation(call.name);
  auto read = read_json(call.arguments.empty() ? std::string_view("{}") : std::string_view(call.arguments));
  if (!read.ok())
    throw Error(ErrorKind::usage, "the arguments of " + call.name + " are not acceptable JSON: " +
                                      read.problem->description + "; send one JSON object matching its input schema");
  if (auto violations = chosen.schema.validate(read.value); !violations.empty())
    throw Error(ErrorKind::usage, "the arguments of " + call.name + " do not match its input schema: " +
                                      describe_violations(violations) + "; nothing was sent, fix the arguments");
  auto request = request_for(call.name, read.value);
  auto shown = chosen.described.method + " " + redact_url(request.url);

  HttpResponse response;
  try {
    response = fetch_http(request, context.cancel, kMostResponseBytes);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::interrupted) throw;
    if (error.kind() == ErrorKind::upstream_timeout)
      throw Error(ErrorKind::upstream_timeout, "OpenAPI service '" + service_.name + "' did not answer " + shown +
                                                   " within " + std::to_string(service_.timeout_ms) + " ms");
    throw Error(ErrorKind::upstream, "OpenAPI service '" + service_.name + "' could not be called (" + shown +
                                         "): " + redact_urls_in_text(error.what()));
  }
  const int status = response.head.status;
  ToolOutput output;
  output.failed = status >= 400;
  output.text = "HTTP " + std::to_string(status);
  if (!response.body.empty()) {
    auto shown_body = utf8_prefix(response.body, kMostResultBytes);
    output.text += "\n" + std::string(shown_body);
    if (shown_body.size() < response.body.size())
      output.text += "\n[cut: the answer is " + std::to_string(response.body.size()) + " bytes, " +
                     std::to_string(shown_body.size()) + " shown]";
  }
  return output;
}

}  // namespace weir
