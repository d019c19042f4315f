#include "core/provider/gemini_provider.hpp"
#include "core/provider/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"
#include "core/provider/api_key.hpp"
#include "core/provider/gemini_answer.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

constexpr size_t kEmbeddingBatch = 100;  // batchEmbedContents takes at most 100 requests
constexpr int kMostModelPages = 100;

// `url` with one more query parameter, after any the base URL had.
std::string with_parameter(const std::string& url, const std::string& parameter) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

std::string percent_encoded(const std::string& text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string result;
  for (unsigned char character : text) {
    if (std::isalnum(character) != 0 || character == '-' || character == '_' || character == '.' || character == '~') {
      result += static_cast<char>(character);
    } else {
      result += '%';
      result += kHex[character >> 4];
      result += kHex[character & 15];
    }
  }
  return result;
}

HeaderList gemini_headers(bool body, bool stream, const std::optional<std::string>& key_or_placeholder) {
  HeaderList headers;
  if (body) set_header(headers, "Content-Type", "application/json");
  set_header(headers, "Accept", stream ? "text/event-stream" : "application/json");
  if (key_or_placeholder) set_header(headers, "x-goog-api-key", *key_or_placeholder);
  return headers;
}

// Google says what a 400 INVALID_ARGUMENT is about in details[].reason and
// in the message; two of them are not "the request was malformed".
std::optional<ErrorKind> read_google_error(const HttpResponseHead& head, std::string_view body) {
  if (head.status != 400) return std::nullopt;
  JsonReadResult read = read_json(body);
  const json* error = read.ok() ? member(read.value, "error") : nullptr;
  if (error == nullptr) return std::nullopt;
  if (const json* details = member(*error, "details"); details != nullptr && details->is_array())
    for (const auto& detail : *details)
      if (string_member(detail, "reason") == "API_KEY_INVALID") return ErrorKind::authentication;
  std::string message = ascii_lowercase(string_member(*error, "message"));
  if (message.find("api key not valid") != std::string::npos) return ErrorKind::authentication;
  if (message.find("exceeds the maximum number of tokens") != std::string::npos ||
      (message.find("token count") != std::string::npos && message.find("exceed") != std::string::npos))
    return ErrorKind::usage;
  return std::nullopt;
}

// Every Gemini call reads Google's error answers with read_google_error.
const CallHooks& google_hooks() {
  static const CallHooks hooks{{}, {}, read_google_error};
  return hooks;
}

std::string label(const ProviderConfig& config) { return config.name.empty() ? std::string("gemini") : config.name; }

std::string chat_url(const ProviderConfig& config, const ChatRequest& request) {
  std::string path = gemini_model_path(request.model);
  if (!request.stream) return upstream_url(config, path + ":generateContent");
  return with_parameter(upstream_url(config, path + ":streamGenerateContent"), "alt=sse");
}

}  // namespace

GeminiProvider::GeminiProvider(ProviderConfig config) : config_(std::move(config)) {}

ProviderCapabilities GeminiProvider::capabilities() const {
  ProviderCapabilities capabilities;
  capabilities.json_schema = true;
  capabilities.image_input = true;
  capabilities.audio_input = true;
  capabilities.file_input = true;
  capabilities.embeddings = true;
  capabilities.reasoning = true;
  return capabilities;
}

Completion GeminiProvider::chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) {
  std::string body = gemini_request_body(request, signatures_).dump();
  // Before anything is sent: a missing key must not cost a request.
  auto http = upstream_request(config_, "POST", chat_url(config_, request),
                               gemini_headers(true, request.stream, resolve_api_key(config_)), std::move(body));
  Completion completion;
  bool delivered = false;
  const DeltaCallback deliver = [&](const StreamDelta& delta) {
    completion.apply(delta);
    delivered = true;
    if (on_delta) on_delta(delta);
  };
  const int first_call_number = calls_made_;
  call_for_answer(
      config_, http, request.model, request.stream,
      [&]() -> std::unique_ptr<AnswerReader> {
        completion = Completion{};
        return make_gemini_answer_reader(deliver, completion, first_call_number, signatures_, calls_made_);
      },
      [&] { return delivered; }, cancel, google_hooks());
  if (completion.model.empty()) completion.model = request.model;
  return completion;
}

json GeminiProvider::describe_request(const ChatRequest& request) const {
  std::string placeholder = api_key_placeholder(config_);
  auto http = upstream_request(
      config_, "POST", chat_url(config_, request),
      gemini_headers(true, request.stream, placeholder.empty() ? std::nullopt : std::optional<std::string>(placeholder)),
      {}, HeaderReferences::as_written);
  json headers = json::object();
  for (const auto& [name, value] : http.headers) headers[name] = redact_header_value(name, value);
  return {{"method", "POST"},
          {"url", redact_url(http.url)},
          {"headers", headers},
          {"body", gemini_request_body(request, signatures_)}};
}

std::vector<std::string> GeminiProvider::models(const CancelToken& cancel) {
  auto key = resolve_api_key(config_);
  std::vector<std::string> names;
  std::set<std::string> tokens_seen;
  std::string page_token;
  for (int page = 0; page < kMostModelPages; ++page) {
    std::string url = with_parameter(upstream_url(config_, "/models"), "pageSize=1000");
    if (!page_token.empty()) url = with_parameter(url, "pageToken=" + percent_encoded(page_token));
    auto http = upstream_request(config_, "GET", url, gemini_headers(false, false, key));
    HttpResponse response = exchange_whole_body(config_, http, "", cancel, google_hooks());
    JsonReadResult listing = read_json(response.body);
    // A page with no models may leave the list out.
    const json* models = listing.ok() ? member(listing.value, "models") : nullptr;
    if (!listing.ok() || !listing.value.is_object() || (models != nullptr && !models->is_array()))
      throw Error(ErrorKind::upstream, label(config_) + " did not answer GET " + redact_url(http.url) +
                                           " with a model list: " + first_bytes(response.body, 200));
    if (models != nullptr)
      for (const auto& model : *models) {
        std::string name = string_member(model, "name");
        if (name.rfind("models/", 0) == 0) name.erase(0, 7);
        if (!name.empty()) names.push_back(std::move(name));
      }
    page_token = string_member(listing.value, "nextPageToken");
    if (page_token.empty() || !tokens_seen.insert(page_token).second) break;
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<std::vector<float>> GeminiProvider::embeddings(const std::string& model,
                                                           const std::vector<std::string>& inputs,
                                                           const CancelToken& cancel) {
  std::string path = gemini_model_path(model);
  std::string url = upstream_url(config_, path + ":batchEmbedContents");
  auto key = resolve_api_key(config_);
  std::vector<std::vector<float>> vectors;
  vectors.reserve(inputs.size());
  for (size_t start = 0; start < inputs.size(); start += kEmbeddingBatch) {
    size_t end = std::min(inputs.size(), start + kEmbeddingBatch);
    json requests = json::array();
    for (size_t position = start; position < end; ++position)
      requests.push_back({{"model", path.substr(1)}, {"content", {{"parts", json::array({{{"text", inputs[position]}}})}}}});
    auto http = upstream_request(config_, "POST", url, gemini_headers(true, false, key),
                                 json{{"requests", requests}}.dump());
    HttpResponse response = exchange_whole_body(config_, http, model, cancel, google_hooks());
    auto fail = [&](const std::string& why) {
      return Error(ErrorKind::upstream, label(config_) + " answered POST " + redact_url(http.url) + " with " + why +
                                            ": " + first_bytes(response.body, 200));
    };
    JsonReadResult answer = read_json(response.body);
    const json* embeddings = answer.ok() ? member(answer.value, "embeddings") : nullptr;
    if (embeddings == nullptr || !embeddings->is_array()) throw fail("no embedding list");
    if (embeddings->size() != end - start)
      throw fail(std::to_string(embeddings->size()) + " embeddings for " + std::to_string(end - start) + " inputs");
    for (const auto& embedding : *embeddings) {
      const json* values = member(embedding, "values");
      if (values == nullptr || !values->is_array() || values->empty()) throw fail("a malformed embedding");
      std::vector<float> vector;
      vector.reserve(values->size());
      for (const auto& value : *values) {
        if (!value.is_number()) throw fail("a non-numeric embedding value");
        // A double beyond float's range would be undefined behaviour to convert.
        double number = value.get<double>();
        if (!std::isfinite(number) || std::fabs(number) > std::numeric_limits<float>::max())
          throw fail("an embedding value out of range");
        vector.push_back(static_cast<float>(number));
      }
      vectors.push_back(std::move(vector));
    }
  }
  return vectors;
}

}  // namespace weir
