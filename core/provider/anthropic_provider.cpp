#include "core/provider/anthropic_provider.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/provider/anthropic_answer_reader.hpp"
#include "core/provider/anthropic_answer_tool.hpp"
#include "core/provider/anthropic_request.hpp"
#include "core/provider/api_key.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

// A listing longer than this many pages is not a model list.
constexpr int kMostModelPages = 100;

HeaderList anthropic_headers(bool body, bool stream, const std::optional<std::string>& key_or_placeholder) {
  HeaderList headers;
  if (body) set_header(headers, "content-type", "application/json");
  set_header(headers, "accept", stream ? "text/event-stream" : "application/json");
  set_header(headers, "anthropic-version", std::string(kAnthropicVersion));
  if (key_or_placeholder) set_header(headers, "x-api-key", *key_or_placeholder);
  return headers;
}

std::string label(const ProviderConfig& config) {
  return config.name.empty() ? std::string("the upstream") : config.name;
}

// Anthropic pages its model list with after_id; each page URL is the listing
// URL with the paging parameters after the base's own query, if any.
std::string page_url(const std::string& listing, const std::string& after_id) {
  std::string url = listing + (listing.find('?') == std::string::npos ? "?" : "&") + "limit=1000";
  if (!after_id.empty()) url += "&after_id=" + after_id;
  return url;
}

}  // namespace

AnthropicProvider::AnthropicProvider(ProviderConfig config) : config_(std::move(config)) {}

ProviderCapabilities AnthropicProvider::capabilities() const {
  ProviderCapabilities capabilities;
  capabilities.streaming = true;
  capabilities.tools = true;
  capabilities.prefill = true;
  capabilities.system_role = true;
  capabilities.json_schema = false;
  capabilities.image_input = true;
  capabilities.file_input = true;
  capabilities.reasoning = true;
  capabilities.embeddings = false;
  return capabilities;
}

Completion AnthropicProvider::chat(const ChatRequest& request, const DeltaCallback& on_delta,
                                   const CancelToken& cancel) {
  // Both before anything is sent: a request Anthropic cannot take, or a
  // missing key, must not cost a request.
  std::string body = anthropic_messages_body(request).dump();
  auto http = upstream_request(config_, "POST", upstream_url(config_, "/messages"),
                               anthropic_headers(true, request.stream, resolve_api_key(config_)), std::move(body));
  Completion completion;
  bool delivered = false;
  // With a forced answer tool, its input is the answer's content.
  const bool answer_tool = anthropic_answer_tool(request).has_value();
  AnswerToolDeltas answer_deltas;
  const DeltaCallback deliver = [&](const StreamDelta& given) {
    const StreamDelta& delta = answer_tool ? answer_deltas.translate(given) : given;
    completion.apply(delta);
    delivered = true;
    if (on_delta) on_delta(delta);
  };
  call_for_answer(
      config_, http, request.model, request.stream,
      [&]() -> std::unique_ptr<AnswerReader> {
        completion = Completion{};
        answer_deltas = AnswerToolDeltas{};
        return std::make_unique<AnthropicAnswerReader>(deliver, completion);
      },
      [&] { return delivered; }, cancel);
  return completion;
}

json AnthropicProvider::describe_request(const ChatRequest& request) const {
  std::string placeholder = api_key_placeholder(config_);
  auto http = upstream_request(
      config_, "POST", upstream_url(config_, "/messages"),
      anthropic_headers(true, request.stream,
                        placeholder.empty() ? std::nullopt : std::optional<std::string>(placeholder)),
      {}, HeaderReferences::as_written);
  json headers = json::object();
  for (const auto& [name, value] : http.headers) headers[name] = redact_header_value(name, value);
  return {{"method", "POST"},
          {"url", redact_url(http.url)},
          {"headers", headers},
          {"body", anthropic_messages_body(request)}};
}

std::vector<std::string> AnthropicProvider::models(const CancelToken& cancel) {
  const std::string listing = upstream_url(config_, "/models");
  const auto headers = anthropic_headers(false, false, resolve_api_key(config_));
  std::vector<std::string> ids;
  std::string after_id;
  for (int page = 0; page < kMostModelPages; ++page) {
    auto http = upstream_request(config_, "GET", page_url(listing, after_id), headers);
    HttpResponse response = exchange_whole_body(config_, http, "", cancel);
    JsonReadResult answer = read_json(response.body);
    const json* data = answer.ok() && answer.value.is_object() && answer.value.contains("data")
                           ? &answer.value["data"]
                           : nullptr;
    if (data == nullptr || !data->is_array())
      throw Error(ErrorKind::upstream, label(config_) + " did not answer GET " + redact_url(http.url) +
                                           " with a model list: " + first_bytes(response.body, 200));
    for (const auto& model : *data)
      if (model.is_object() && model.contains("id") && model["id"].is_string())
        ids.push_back(model["id"].get<std::string>());
    const json& listing_page = answer.value;
    bool has_more = listing_page.contains("has_more") && listing_page["has_more"].is_boolean() &&
                    listing_page["has_more"].get<bool>();
    std::string last_id = listing_page.contains("last_id") && listing_page["last_id"].is_string()
                              ? listing_page["last_id"].get<std::string>()
                              : "";
    // A page that says "more" without saying where it ended would loop; an id
    // that is not a plain model id would change the next page's query.
    bool plain_id = std::all_of(last_id.begin(), last_id.end(), [](unsigned char letter) {
      return std::isalnum(letter) || letter == '-' || letter == '_' || letter == '.' || letter == ':' || letter == '@';
    });
    if (!has_more || last_id.empty() || last_id == after_id || !plain_id) break;
    after_id = last_id;
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<std::vector<float>> AnthropicProvider::embeddings(const std::string& model,
                                                              const std::vector<std::string>&,
                                                              const CancelToken&) {
  throw Error(ErrorKind::usage, "provider '" + config_.name + "' (kind anthropic) has no embeddings endpoint, so '" +
                                    model +
                                    "' cannot embed; use an embedding model of another provider (an OpenAI-compatible "
                                    "one) or the built-in local embedder");
}

}  // namespace weir
