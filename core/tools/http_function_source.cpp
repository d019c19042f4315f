#include "core/tools/http_function_source.hpp"


#include "core/error.hpp"
#include "core/outbound_values.hpp"
#include "core/gateway/function_fields.hpp"
#include "core/json_input.hpp"
#include "core/net/http_client.hpp"
#include "core/policy/outbound_signature.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

constexpr size_t kMostResultBytes = size_t{10} << 20;

}  // namespace

HttpFunction http_function_from_record(const nlohmann::json& record, const std::string& path, std::string origin) {
  check_function_record(path, record);
  HttpFunction function{
      .name = record.at("name").get<std::string>(),
      .description = record.value("description", std::string()),
      .parameters = record.value("parameters", nlohmann::json{{"type", "object"}, {"properties", nlohmann::json::object()}}),
      .schema = JsonSchema::compile(nlohmann::json::object(), path),
      .url = record.at("url").get<std::string>(),
      .headers = {},
      .timeout_ms = record.value("timeout_ms", kDefaultFunctionTimeoutMs),
      .origin = std::move(origin),
  };
  function.schema = JsonSchema::compile(function.parameters, "the parameters of function '" + function.name + "'");
  if (auto headers = record.find("headers"); headers != record.end())
    for (const auto& [name, value] : headers->items()) function.headers.emplace_back(name, value.get<std::string>());
  return function;
}

HttpFunctionSource::HttpFunctionSource(std::string owner, std::vector<HttpFunction> functions, std::string home,
                                       ToolCaller caller, Clock clock)
    : owner_(std::move(owner)), functions_(std::move(functions)), home_(std::move(home)), caller_(std::move(caller)), clock_(std::move(clock)) {}

nlohmann::json HttpFunctionSource::definitions() const {
  auto tools = nlohmann::json::array();
  for (const auto& function : functions_)
    tools.push_back({{"type", "function"},
                     {"function",
                      {{"name", function.name},
                       {"description", function.description},
                       {"parameters", function.parameters}}}});
  return tools;
}

nlohmann::json HttpFunctionSource::call_body(const std::string& function, const nlohmann::json& arguments,
                                             const ToolCaller& caller,
                                             std::chrono::system_clock::time_point moment) {
  auto text_or_null = [](const std::string& text) { return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text); };
  return {{"type", "tool_call"},
          {"function", {{"name", function}, {"content", arguments}}},
          {"context",
           {{"user", text_or_null(caller.user)},
            {"metadata", caller.metadata},
            {"conversation", text_or_null(caller.conversation)},
            {"moment", rfc3339_utc(moment)}}}};
}

ToolOutput HttpFunctionSource::run(const ToolCall& call, const ToolCallContext& context) {
  const HttpFunction* function = nullptr;
  for (const auto& candidate : functions_)
    if (candidate.name == call.name) function = &candidate;
  if (function == nullptr) throw Error(ErrorKind::usage, "there is no HTTP function named '" + call.name + "'");

  auto read = read_json(call.arguments.empty() ? "{}" : call.arguments);
  if (!read.ok())
    throw Error(ErrorKind::usage, "the arguments of " + call.name + " are not acceptable JSON: " +
                                      read.problem->description + "; send one JSON object matching its parameters");
  if (auto violations = function->schema.validate(read.value); !violations.empty())
    throw Error(ErrorKind::usage, "the arguments of " + call.name + " do not match its parameters: " +
                                      describe_violations(violations) + "; the function was not called, fix the arguments");
  if (!read.value.is_object())
    throw Error(ErrorKind::usage, "the arguments of " + call.name + " must be a JSON object");

  if (secret_.empty()) secret_ = hook_key(home_);
  auto moment = clock_();
  HttpRequest request;
  request.method = "POST";
  request.url = function->url;
  request.body = call_body(function->name, read.value, caller_, moment).dump();
  request.connect_timeout_ms = std::min(function->timeout_ms, 10'000);
  request.idle_timeout_ms = function->timeout_ms;
  request.total_timeout_ms = function->timeout_ms;
  HeaderList headers = {{"Content-Type", "application/json"}, {"Accept", "application/json, text/plain, */*"}};
  for (const auto& [name, value] : function->headers)
    set_header(headers, name,
               function->from_source
                   ? value
                   : resolve_environment_references(value, "function '" + function->name + "' header " + name));
  auto unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(moment.time_since_epoch()).count();
  for (const auto& [name, value] : signature_headers(secret_, unix_seconds, request.body)) set_header(headers, name, value);
  request.headers = std::move(headers);

  const auto shown_url = redact_url(function->url);
  HttpResponse response;
  try {
    response = fetch_http(request, context.cancel, kMostResultBytes);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::interrupted) throw;
    if (error.kind() == ErrorKind::upstream_timeout)
      throw Error(ErrorKind::upstream_timeout, "function '" + function->name + "' did not answer within " +
                                                   std::to_string(function->timeout_ms) + " ms (" + shown_url +
                                                   "); raise its timeout_ms or make the service faster");
    throw Error(ErrorKind::upstream, "function '" + function->name + "' could not be called (" + shown_url +
                                         "): " + redact_urls_in_text(error.what()));
  }
  const int status = response.head.status;
  if (status < 200 || status > 299) {
    Error failure(ErrorKind::upstream, "function '" + function->name + "' answered HTTP " + std::to_string(status) +
                                           " (" + shown_url + ")" +
                                           (response.body.empty() ? std::string()
                                                                  : ": " + first_bytes(response.body, 500)));
    failure.set_upstream_status(status);
    throw failure;
  }
  return response.body;
}

}  // namespace weir
