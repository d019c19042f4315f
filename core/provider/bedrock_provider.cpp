#include "core/provider/bedrock_provider.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/net/http_client.hpp"
#include "core/net/percent_encoding.hpp"
#include "core/provider/aws_credentials.hpp"
#include "core/provider/aws_signature.hpp"
#include "core/provider/bedrock_answer_reader.hpp"
#include "core/provider/bedrock_converse_body.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

constexpr const char* kService = "bedrock";

std::string provider_label(const ProviderConfig& config) {
  return config.name.empty() ? std::string("bedrock") : config.name;
}

// The config with its base URL filled in: the stored one, else AWS's host for
// the region (`host_prefix` "bedrock-runtime" for inference, "bedrock" for
// the control plane's model list).
ProviderConfig with_endpoint(const ProviderConfig& config, const std::string& region, const char* host_prefix) {
  ProviderConfig resolved = config;
  if (resolved.base_url.empty()) resolved.base_url = std::string("https://") + host_prefix + "." + region + ".amazonaws.com";
  return resolved;
}

std::string chat_path(const ChatRequest& request) {
  return "/model/" + percent_encode(request.model, false) + (request.stream ? "/converse-stream" : "/converse");
}

HeaderList chat_headers(bool stream) {
  HeaderList headers;
  set_header(headers, "Content-Type", "application/json");
  set_header(headers, "Accept", stream ? "application/vnd.amazon.eventstream" : "application/json");
  return headers;
}

// The error's type name, from x-amzn-ErrorType
// ("ValidationException:http://internal.amazon.com/...") or else the body's
// __type ("com.amazon.coral.service#UnrecognizedClientException"); "" when
// the answer names none.
std::string bedrock_error_type(const HttpResponseHead& head, std::string_view body) {
  std::string type = head.header("x-amzn-errortype").value_or("");
  type = type.substr(0, type.find(':'));
  if (!type.empty()) return type;
  JsonReadResult read = read_json(body);
  if (read.ok() && read.value.is_object() && read.value.contains("__type") && read.value["__type"].is_string()) {
    type = read.value["__type"].get<std::string>();
    type = type.substr(type.rfind('#') == std::string::npos ? 0 : type.rfind('#') + 1);
  }
  return type;
}

// Signs each attempt at its own time, over the request's final headers.
CallHooks signing_hooks(const ProviderConfig& config, const AwsCredentials& credentials, const std::string& region,
                        const BedrockProvider::Clock& clock) {
  CallHooks hooks;
  hooks.before_attempt = [credentials, region, clock](HttpRequest& http) {
    AwsSigningInput input;
    input.method = http.method;
    input.url = http.url;
    input.headers = http.headers;
    input.body = http.body;
    input.region = region;
    input.service = kService;
    input.time = clock ? clock() : std::chrono::system_clock::now();
    for (auto& header : sign_aws_request(input, credentials).headers_to_add)
      set_header(http.headers, header.first, header.second);
  };
  hooks.on_error_status = [name = provider_label(config), config_name = config.name](const HttpResponseHead& head,
                                                                                     std::string_view body) {
    const std::string type = bedrock_error_type(head, body);
    const std::string message = redact_urls_in_text(upstream_error_message(body));
    const std::string status = "HTTP " + std::to_string(head.status) + (type.empty() ? "" : ", " + type);
    if (head.status == 401 || head.status == 403)
      throw Error(ErrorKind::authentication,
                  name + " rejected the AWS credentials (" + status + "): " + message +
                      "; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (or the profile of `weir "
                      "provider add " + config_name + " --aws-profile`), the region, and that the identity may call "
                      "bedrock:InvokeModel on a model your account has access to");
    // Too long an input falls through to throw_for_status, which gives it
    // the code every kind's context errors carry.
    if (head.status == 400 && (type.empty() || type == "ValidationException") && !says_context_too_long(message))
      throw Error(ErrorKind::usage, name + " refused the request (" + status + "): " + message);
  };
  // Bedrock says it is overloaded with a 503 ServiceUnavailableException
  // ("Bedrock is unable to process your request."): a limit of its capacity,
  // retried and then told as one, like Anthropic's 529.
  hooks.error_reading = [](const HttpResponseHead& head, std::string_view body) -> std::optional<ErrorKind> {
    if (bedrock_error_type(head, body) == "ServiceUnavailableException") return ErrorKind::rate_limited;
    return std::nullopt;
  };
  return hooks;
}

}  // namespace

BedrockProvider::BedrockProvider(ProviderConfig config, Clock clock)
    : config_(std::move(config)), clock_(std::move(clock)) {}

ProviderCapabilities BedrockProvider::capabilities() const {
  ProviderCapabilities capabilities;
  capabilities.streaming = true;
  capabilities.tools = true;
  capabilities.system_role = true;
  capabilities.prefill = true;
  capabilities.image_input = true;
  capabilities.embeddings = false;
  return capabilities;
}

Completion BedrockProvider::chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) {
  // Before anything is sent: a missing region or credential must not cost a request.
  const std::string region = resolve_aws_region(config_);
  const AwsCredentials credentials = resolve_aws_credentials(config_);
  const ProviderConfig endpoint = with_endpoint(config_, region, "bedrock-runtime");
  auto http = upstream_request(config_, "POST", upstream_url(endpoint, chat_path(request)), chat_headers(request.stream),
                               bedrock_converse_body(request).dump());
  Completion completion;
  bool delivered = false;
  const DeltaCallback deliver = [&](const StreamDelta& delta) {
    completion.apply(delta);
    delivered = true;
    if (on_delta) on_delta(delta);
  };
  call_for_answer(
      config_, http, request.model, request.stream,
      [&]() -> std::unique_ptr<AnswerReader> {
        completion = Completion{};
        completion.model = request.model;
        return std::make_unique<BedrockAnswerReader>(deliver, provider_label(config_));
      },
      [&] { return delivered; }, cancel, signing_hooks(config_, credentials, region, clock_));
  return completion;
}

json BedrockProvider::describe_request(const ChatRequest& request) const {
  const std::string region = resolve_aws_region(config_);
  const ProviderConfig endpoint = with_endpoint(config_, region, "bedrock-runtime");
  auto http = upstream_request(config_, "POST", upstream_url(endpoint, chat_path(request)),
                               chat_headers(request.stream), {}, HeaderReferences::as_written);
  json headers = json::object();
  std::vector<std::string> signed_names = {"host", "x-amz-content-sha256", "x-amz-date"};
  for (const auto& [name, value] : http.headers) {
    headers[name] = redact_header_value(name, value);
    signed_names.push_back(ascii_lowercase(name));
  }
  std::sort(signed_names.begin(), signed_names.end());
  std::string signed_headers;
  for (const auto& name : signed_names) signed_headers += (signed_headers.empty() ? "" : ";") + name;
  // The signature needs the secret and the moment of sending: shown as where
  // the key comes from, never computed here.
  headers["X-Amz-Date"] = "<time of sending>";
  headers["X-Amz-Content-Sha256"] = "<SHA-256 of the body>";
  headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=" + aws_credentials_source(config_) + "/<date>/" + region +
                             "/" + kService + "/aws4_request, SignedHeaders=" + signed_headers +
                             ", Signature=<computed when sent>";
  return {{"method", "POST"},
          {"url", redact_url(http.url)},
          {"headers", headers},
          {"body", bedrock_converse_body(request)}};
}

std::vector<std::string> BedrockProvider::models(const CancelToken& cancel) {
  const std::string region = resolve_aws_region(config_);
  const AwsCredentials credentials = resolve_aws_credentials(config_);
  const ProviderConfig endpoint = with_endpoint(config_, region, "bedrock");
  HeaderList headers;
  set_header(headers, "Accept", "application/json");
  auto http = upstream_request(config_, "GET", upstream_url(endpoint, "/foundation-models"), headers);
  HttpResponse response =
      exchange_whole_body(config_, http, "", cancel, signing_hooks(config_, credentials, region, clock_));
  JsonReadResult listing = read_json(response.body);
  const json* summaries = listing.ok() && listing.value.is_object() && listing.value.contains("modelSummaries")
                              ? &listing.value["modelSummaries"]
                              : nullptr;
  if (summaries == nullptr || !summaries->is_array())
    throw Error(ErrorKind::upstream, provider_label(config_) + " did not answer GET " + redact_url(http.url) +
                                         " with a model list (modelSummaries): " + first_bytes(response.body, 200));
  std::vector<std::string> ids;
  for (const auto& summary : *summaries)
    if (summary.is_object() && summary.contains("modelId") && summary["modelId"].is_string())
      ids.push_back(summary["modelId"].get<std::string>());
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::vector<float>> BedrockProvider::embeddings(const std::string&, const std::vector<std::string>&,
                                                            const CancelToken&) {
  throw Error(ErrorKind::usage, "provider '" + config_.name +
                                    "' (bedrock) has no embeddings: Bedrock serves embedding models through "
                                    "InvokeModel, which weir does not speak; use the local embedder or an "
                                    "OpenAI-compatible provider for a collection");
}

}  // namespace weir
