#include "core/provider/openai_provider.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/provider/api_key.hpp"
#include "core/provider/http_client.hpp"
#include "core/provider/sse_parser.hpp"

namespace weir {

namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxJsonBody = size_t{64} << 20;
// Error bodies are for a message; the rest of a huge one is noise.
constexpr size_t kMaxErrorBody = size_t{64} << 10;
constexpr auto kLongestRetryWait = std::chrono::seconds(30);
constexpr auto kCancelPollInterval = milliseconds(50);

// ----- small JSON readers that never throw on unexpected shapes -----

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::string string_member(const json& object, const char* key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

int64_t integer_member(const json& object, const char* key) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_number()) return 0;
  return value->is_number_float() ? static_cast<int64_t>(value->get<double>())
                                  : value->get<int64_t>();
}

// Message content is a string, null, or (in newer APIs) a list of parts.
std::string text_of(const json* content) {
  if (content == nullptr) return {};
  if (content->is_string()) return content->get<std::string>();
  std::string text;
  if (content->is_array())
    for (const auto& part : *content) text += string_member(part, "text");
  return text;
}

// Arguments are JSON text; a few servers send the object itself.
std::string arguments_of(const json& function) {
  const json* arguments = member(function, "arguments");
  if (arguments == nullptr || arguments->is_null()) return {};
  return arguments->is_string() ? arguments->get<std::string>() : arguments->dump();
}

std::string first_bytes(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

std::optional<Usage> usage_of(const json& object) {
  const json* usage = member(object, "usage");
  if (usage == nullptr || !usage->is_object()) return std::nullopt;
  Usage result;
  result.prompt_tokens = integer_member(*usage, "prompt_tokens");
  result.completion_tokens = integer_member(*usage, "completion_tokens");
  if (const json* details = member(*usage, "prompt_tokens_details"))
    result.cached_tokens = integer_member(*details, "cached_tokens");
  if (const json* details = member(*usage, "completion_tokens_details"))
    result.reasoning_tokens = integer_member(*details, "reasoning_tokens");
  return result;
}

std::string reasoning_of(const json& message) {
  std::string reasoning = string_member(message, "reasoning");
  return reasoning.empty() ? string_member(message, "reasoning_content") : reasoning;
}

std::optional<std::string> finish_reason_of(const json& choice) {
  std::string reason = string_member(choice, "finish_reason");
  if (reason.empty()) return std::nullopt;
  return reason;
}

const json* first_choice(const json& object) {
  const json* choices = member(object, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) return nullptr;
  return &choices->front();
}

// The message an upstream put in an error object, whatever its dialect:
// {"error": {"message": ...}}, {"error": "..."} (Ollama), {"message": ...}.
std::string upstream_message(const json& object) {
  if (const json* error = member(object, "error")) {
    if (error->is_string()) return error->get<std::string>();
    std::string message = string_member(*error, "message");
    if (!message.empty()) return message;
    return first_bytes(error->dump(), 500);
  }
  return string_member(object, "message");
}

std::string upstream_message(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) {
    std::string message = upstream_message(parsed);
    if (!message.empty()) return message;
  }
  std::string_view trimmed = body;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
    trimmed.remove_suffix(1);
  if (trimmed.empty()) return "(empty response body)";
  return first_bytes(trimmed, 500);
}

// One streamed chunk -> one delta.
StreamDelta delta_of_chunk(const json& chunk) {
  StreamDelta delta;
  if (const json* choice = first_choice(chunk)) {
    if (const json* message = member(*choice, "delta")) {
      delta.content = text_of(member(*message, "content"));
      delta.reasoning = reasoning_of(*message);
      if (const json* calls = member(*message, "tool_calls");
          calls != nullptr && calls->is_array()) {
        int position = 0;
        for (const auto& call : *calls) {
          ToolCallFragment fragment;
          const json* index = member(call, "index");
          fragment.index =
              index != nullptr && index->is_number_integer() ? index->get<int>() : position;
          fragment.id = string_member(call, "id");
          if (const json* function = member(call, "function")) {
            fragment.name = string_member(*function, "name");
            fragment.arguments = arguments_of(*function);
          }
          delta.tool_calls.push_back(std::move(fragment));
          ++position;
        }
      }
    }
    delta.finish_reason = finish_reason_of(*choice);
  }
  delta.usage = usage_of(chunk);
  return delta;
}

// A whole chat.completion object -> the one delta that carries all of it.
StreamDelta delta_of_completion(const json& completion) {
  StreamDelta delta;
  if (const json* choice = first_choice(completion)) {
    if (const json* message = member(*choice, "message")) {
      delta.content = text_of(member(*message, "content"));
      delta.reasoning = reasoning_of(*message);
      if (const json* calls = member(*message, "tool_calls");
          calls != nullptr && calls->is_array()) {
        int position = 0;
        for (const auto& call : *calls) {
          ToolCallFragment fragment;
          fragment.index = position++;
          fragment.id = string_member(call, "id");
          if (const json* function = member(call, "function")) {
            fragment.name = string_member(*function, "name");
            fragment.arguments = arguments_of(*function);
          }
          delta.tool_calls.push_back(std::move(fragment));
        }
      }
    }
    delta.finish_reason = finish_reason_of(*choice);
  }
  delta.usage = usage_of(completion);
  return delta;
}

bool carries_something(const StreamDelta& delta) {
  return !delta.content.empty() || !delta.reasoning.empty() || !delta.tool_calls.empty() ||
         delta.finish_reason.has_value() || delta.usage.has_value();
}

// ----- HTTP status errors and retries -----

// A failure worth another attempt; becomes a plain Error when retries run out.
class RetryableFailure : public Error {
 public:
  RetryableFailure(ErrorKind kind, std::string message, std::optional<milliseconds> retry_after)
      : Error(kind, std::move(message)), retry_after_(retry_after) {}
  const std::optional<milliseconds>& retry_after() const { return retry_after_; }

 private:
  std::optional<milliseconds> retry_after_;
};

std::optional<double> parse_number(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos)
    return std::nullopt;
  try {
    return std::stod(std::string(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Retry-After is seconds or an HTTP date; some services add retry-after-ms.
std::optional<milliseconds> retry_after_of(const HttpResponseHead& head) {
  if (auto value = head.header("retry-after-ms"))
    if (auto number = parse_number(*value)) return milliseconds(static_cast<int64_t>(*number));
  auto value = head.header("retry-after");
  if (!value) return std::nullopt;
  if (auto seconds = parse_number(*value))
    return milliseconds(static_cast<int64_t>(*seconds * 1000));
  std::tm parts{};
  const char* end = strptime(value->c_str(), "%a, %d %b %Y %H:%M:%S", &parts);
  if (end == nullptr) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&parts));
  auto wait = std::chrono::duration_cast<milliseconds>(when - std::chrono::system_clock::now());
  return std::max(wait, milliseconds(0));
}

std::string provider_label(const ProviderConfig& config) {
  return config.name.empty() ? std::string("the upstream") : config.name;
}

[[noreturn]] void throw_status_error(const ProviderConfig& config, const HttpRequest& http,
                                     const std::string& model, const HttpResponseHead& head,
                                     std::string_view body) {
  const int status = head.status;
  const std::string http_status = "(HTTP " + std::to_string(status) + ")";
  const std::string message = upstream_message(body);
  const std::string name = provider_label(config);
  if (status == 401 || status == 403) {
    std::string hint;
    if (!config.api_key_env.empty())
      hint = "check $" + config.api_key_env;
    else if (!config.api_key_cmd.empty())
      hint = "check the output of api_key_cmd";
    else
      hint = "no API key is configured; add one with `weir provider add " + config.name +
             " --api-key-env VAR`";
    throw Error(ErrorKind::authentication,
                name + " rejected the API key " + http_status + ": " + message + "; " + hint);
  }
  if (status == 404)
    throw Error(ErrorKind::upstream,
                name + ": " + (model.empty() ? "" : "model '" + model + "' or ") +
                    "endpoint not found at " + http.url + " " + http_status + ": " + message);
  if (status == 429)
    throw RetryableFailure(ErrorKind::rate_limited,
                           name + " is rate limiting requests " + http_status + ": " + message,
                           retry_after_of(head));
  if (status == 500 || status == 502 || status == 503 || status == 504 || status == 529)
    throw RetryableFailure(ErrorKind::upstream,
                           name + " answered HTTP " + std::to_string(status) + ": " + message,
                           retry_after_of(head));
  if (status >= 500)
    throw Error(ErrorKind::upstream,
                name + " answered HTTP " + std::to_string(status) + ": " + message);
  if (status >= 300 && status < 400)
    throw Error(ErrorKind::upstream, name + " redirected " + http.url + " " + http_status + " to " +
                                         head.header("location").value_or("(no location)") +
                                         "; set the provider's base_url to the new address");
  throw Error(ErrorKind::upstream, name + " rejected the request " + http_status + ": " + message);
}

void sleep_cancellable(milliseconds duration, const CancelToken& cancel) {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (true) {
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kCancelPollInterval, deadline - now));
  }
}

milliseconds backoff(int attempt) {
  // Jitter spreads out clients that all failed at the same moment.
  thread_local std::minstd_rand generator{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  double nominal = 250.0 * std::pow(2.0, std::min(attempt, 10));
  return milliseconds(static_cast<int64_t>(nominal * jitter(generator)));
}

// Runs `attempt` until it succeeds, a final error occurs, or retries run out.
// `may_retry` says whether a retry is still allowed (false once output reached
// the caller: a retry would repeat it).
template <typename Attempt, typename MayRetry>
void run_with_retries(const ProviderConfig& config, const CancelToken& cancel, Attempt attempt,
                      MayRetry may_retry) {
  const int max_retries = std::max(0, config.max_retries);
  for (int attempt_number = 0;; ++attempt_number) {
    std::optional<milliseconds> wait;
    try {
      attempt();
      return;
    } catch (const RetryableFailure& failure) {
      std::string tries =
          attempt_number > 0 ? " (after " + std::to_string(attempt_number + 1) + " attempts)" : "";
      // A long wait is better left to the user than spent blocking them.
      if (failure.retry_after() && *failure.retry_after() > kLongestRetryWait)
        throw Error(failure.kind(),
                    failure.what() + tries + "; the upstream asks to retry in " +
                        std::to_string((failure.retry_after()->count() + 999) / 1000) +
                        " s, try again then");
      if (!may_retry() || attempt_number >= max_retries)
        throw Error(failure.kind(), failure.what() + tries);
      wait = failure.retry_after() ? *failure.retry_after() : backoff(attempt_number);
    } catch (const HttpConnectionError& failure) {
      if (!may_retry() || attempt_number >= max_retries) throw;
      wait = backoff(attempt_number);
    }
    sleep_cancellable(*wait, cancel);
  }
}

// ----- request building -----

std::string endpoint(const ProviderConfig& config, std::string_view path) {
  std::string base = config.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty())
    throw Error(ErrorKind::usage, "provider '" + config.name +
                                      "' has no base_url; set one with `weir provider add " +
                                      config.name + " --base-url URL`");
  return base + std::string(path);
}

using HeaderList = std::vector<std::pair<std::string, std::string>>;

bool same_header_name(std::string_view left, std::string_view right) {
  return std::equal(left.begin(), left.end(), right.begin(), right.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

// Later values replace earlier ones of the same name, so the provider's
// configured headers can override ours (a custom Authorization scheme).
void set_header(HeaderList& headers, const std::string& name, const std::string& value) {
  for (auto& [existing, existing_value] : headers)
    if (same_header_name(existing, name)) {
      existing_value = value;
      return;
    }
  headers.emplace_back(name, value);
}

HeaderList build_headers(const ProviderConfig& config, bool body, bool stream,
                         const std::optional<std::string>& key_or_placeholder) {
  HeaderList headers;
  if (body) set_header(headers, "Content-Type", "application/json");
  set_header(headers, "Accept", stream ? "text/event-stream" : "application/json");
  if (key_or_placeholder) set_header(headers, "Authorization", "Bearer " + *key_or_placeholder);
  for (const auto& [name, value] : config.headers) set_header(headers, name, value);
  return headers;
}

json build_body(const ChatRequest& request) {
  json body = json::object();
  if (request.parameters.is_object())
    for (const auto& [key, value] : request.parameters.items()) body[key] = value;
  body["model"] = request.model;
  body["messages"] = request.messages;
  body["stream"] = request.stream;
  if (request.stream) {
    if (!body.contains("stream_options")) body["stream_options"] = {{"include_usage", true}};
  } else {
    // OpenAI rejects stream_options on a non-streaming request.
    body.erase("stream_options");
  }
  return body;
}

// ----- one attempt at a chat call -----

class ChatAttempt {
 public:
  ChatAttempt(const ProviderConfig& config, const HttpRequest& http, const ChatRequest& request,
              const std::function<void(const StreamDelta&)>& deliver, Completion& completion)
      : config_(config),
        http_(http),
        request_(request),
        deliver_(deliver),
        completion_(completion) {}

  void run(const CancelToken& cancel) {
    HttpResponseHead head;
    try {
      head = send_http_request(
          http_,
          [this](const HttpResponseHead& response, std::string_view bytes) {
            on_bytes(response, bytes);
          },
          cancel);
    } catch (const Error& error) {
      // After [DONE] the answer is complete; a server that then neither ends
      // the response nor closes cleanly must not turn it into a failure.
      bool transport_failure = error.kind() == ErrorKind::upstream_timeout ||
                               dynamic_cast<const HttpConnectionError*>(&error) != nullptr;
      if (!(mode_ == Mode::stream && done_ && transport_failure)) throw;
      return;
    }
    if (mode_ == Mode::undecided) decide(head);
    switch (mode_) {
      case Mode::error:
        throw_status_error(config_, http_, request_.model, head, buffer_);
      case Mode::json:
        finish_json();
        break;
      case Mode::stream:
        finish_stream();
        break;
      case Mode::undecided:
        break;
    }
  }

 private:
  enum class Mode { undecided, stream, json, error };

  void decide(const HttpResponseHead& head) {
    if (head.status < 200 || head.status >= 300) {
      mode_ = Mode::error;
      return;
    }
    std::string type = head.header("content-type").value_or("");
    if (type.find("text/event-stream") != std::string::npos)
      mode_ = Mode::stream;
    else if (type.find("json") != std::string::npos)
      mode_ = Mode::json;  // a server that ignored stream
    else
      mode_ = request_.stream ? Mode::stream : Mode::json;
  }

  void on_bytes(const HttpResponseHead& head, std::string_view bytes) {
    if (mode_ == Mode::undecided) decide(head);
    if (mode_ == Mode::stream) {
      if (done_) return;
      for (const auto& event : parser_.feed(bytes)) on_event(event);
    } else if (mode_ == Mode::json) {
      if (buffer_.size() + bytes.size() > kMaxJsonBody)
        throw Error(ErrorKind::upstream, "the answer from " + http_.url + " is larger than " +
                                             std::to_string(kMaxJsonBody >> 20) +
                                             " MiB; refusing to read more");
      buffer_.append(bytes);
    } else if (buffer_.size() < kMaxErrorBody) {
      buffer_.append(bytes.substr(0, kMaxErrorBody - buffer_.size()));
    }
  }

  void on_event(const SseEvent& event) {
    if (done_) return;
    std::string_view data = event.data;
    if (data == "[DONE]") {
      done_ = true;
      return;
    }
    json chunk = json::parse(data, nullptr, false);
    if (chunk.is_discarded()) {
      if (event.event == "error")
        throw Error(ErrorKind::upstream, "upstream error mid-stream: " + first_bytes(data, 500));
      throw Error(ErrorKind::upstream,
                  "upstream sent malformed stream data: " + first_bytes(data, 200));
    }
    if (member(chunk, "error") != nullptr || event.event == "error") {
      std::string message = upstream_message(chunk);
      throw Error(ErrorKind::upstream, "upstream error mid-stream: " +
                                           (message.empty() ? first_bytes(data, 500) : message));
    }
    remember_identity(chunk);
    StreamDelta delta = delta_of_chunk(chunk);
    if (delta.finish_reason) finish_seen_ = true;
    if (carries_something(delta)) deliver_(delta);
  }

  void finish_stream() {
    for (const auto& event : parser_.finish()) on_event(event);
    if (!done_ && !finish_seen_)
      throw Error(ErrorKind::upstream,
                  "upstream closed the stream before finishing (no finish_reason and no "
                  "[DONE]); the answer is incomplete");
  }

  void finish_json() {
    json completion = json::parse(buffer_, nullptr, false);
    if (completion.is_discarded() || !completion.is_object())
      throw Error(ErrorKind::upstream,
                  "upstream sent a malformed answer: " + first_bytes(buffer_, 200));
    if (member(completion, "error") != nullptr)
      throw Error(ErrorKind::upstream, "upstream error: " + upstream_message(completion));
    remember_identity(completion);
    deliver_(delta_of_completion(completion));
  }

  void remember_identity(const json& object) {
    if (std::string id = string_member(object, "id"); !id.empty() && completion_.id.empty())
      completion_.id = id;
    if (std::string model = string_member(object, "model");
        !model.empty() && completion_.model.empty())
      completion_.model = model;
  }

  const ProviderConfig& config_;
  const HttpRequest& http_;
  const ChatRequest& request_;
  const std::function<void(const StreamDelta&)>& deliver_;
  Completion& completion_;
  Mode mode_ = Mode::undecided;
  SseParser parser_;
  std::string buffer_;
  bool done_ = false;
  bool finish_seen_ = false;
};

}  // namespace

OpenAiProvider::OpenAiProvider(ProviderConfig config) : config_(std::move(config)) {}

Completion OpenAiProvider::chat(const ChatRequest& request, const DeltaCallback& on_delta,
                                const CancelToken& cancel) {
  HttpRequest http;
  http.method = "POST";
  http.url = endpoint(config_, "/chat/completions");
  // Before anything is sent: a missing key must not cost a request.
  http.headers = build_headers(config_, true, request.stream, resolve_api_key(config_));
  http.body = build_body(request).dump();
  http.connect_timeout_ms = config_.connect_timeout_ms;
  http.idle_timeout_ms = config_.idle_timeout_ms;

  Completion completion;
  bool delivered = false;
  const std::function<void(const StreamDelta&)> deliver = [&](const StreamDelta& delta) {
    completion.apply(delta);
    delivered = true;
    if (on_delta) on_delta(delta);
  };
  run_with_retries(
      config_, cancel,
      [&] {
        completion = Completion{};
        ChatAttempt(config_, http, request, deliver, completion).run(cancel);
      },
      [&] { return !delivered; });
  return completion;
}

json OpenAiProvider::describe_request(const ChatRequest& request) const {
  std::string placeholder = api_key_placeholder(config_);
  json headers = json::object();
  for (const auto& [name, value] :
       build_headers(config_, true, request.stream,
                     placeholder.empty() ? std::nullopt : std::optional<std::string>(placeholder)))
    headers[name] = value;
  return {{"method", "POST"},
          {"url", endpoint(config_, "/chat/completions")},
          {"headers", headers},
          {"body", build_body(request)}};
}

namespace {
// A whole-body JSON exchange (model list, embeddings): the provider's
// timeouts, retries as for chat, and an HTTP error status turned into the
// matching weir::Error.
HttpResponse exchange_json(const ProviderConfig& config, HttpRequest& http, const std::string& model,
                           const CancelToken& cancel) {
  http.connect_timeout_ms = config.connect_timeout_ms;
  http.idle_timeout_ms = config.idle_timeout_ms;
  HttpResponse response;
  run_with_retries(
      config, cancel,
      [&] {
        response = fetch_http(http, cancel, kMaxJsonBody);
        if (response.head.status < 200 || response.head.status >= 300)
          throw_status_error(config, http, model, response.head, response.body);
      },
      [] { return true; });
  return response;
}
}  // namespace

std::vector<std::string> OpenAiProvider::models(const CancelToken& cancel) {
  HttpRequest http;
  http.method = "GET";
  http.url = endpoint(config_, "/models");
  http.headers = build_headers(config_, false, false, resolve_api_key(config_));
  HttpResponse response = exchange_json(config_, http, "", cancel);

  json listing = json::parse(response.body, nullptr, false);
  const json* data = listing.is_discarded() ? nullptr : member(listing, "data");
  if (data == nullptr || !data->is_array())
    throw Error(ErrorKind::upstream, provider_label(config_) + " did not answer GET " + http.url +
                                         " with a model list: " + first_bytes(response.body, 200));
  std::vector<std::string> ids;
  for (const auto& model : *data)
    if (std::string id = string_member(model, "id"); !id.empty()) ids.push_back(std::move(id));
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::vector<float>> OpenAiProvider::embeddings(const std::string& model,
                                                           const std::vector<std::string>& inputs,
                                                           const CancelToken& cancel) {
  HttpRequest http;
  http.method = "POST";
  http.url = endpoint(config_, "/embeddings");
  http.headers = build_headers(config_, true, false, resolve_api_key(config_));
  http.body = json{{"model", model}, {"input", inputs}, {"encoding_format", "float"}}.dump();
  HttpResponse response = exchange_json(config_, http, model, cancel);

  auto fail = [&](const std::string& why) {
    return Error(ErrorKind::upstream, provider_label(config_) + " answered POST " + http.url + " with " + why +
                                          ": " + first_bytes(response.body, 200));
  };
  json answer = json::parse(response.body, nullptr, false);
  const json* data = answer.is_discarded() ? nullptr : member(answer, "data");
  if (data == nullptr || !data->is_array()) throw fail("no embedding list");
  if (data->size() != inputs.size())
    throw fail(std::to_string(data->size()) + " embeddings for " + std::to_string(inputs.size()) + " inputs");
  std::vector<std::vector<float>> vectors(inputs.size());
  for (size_t position = 0; position < data->size(); ++position) {
    const auto& item = (*data)[position];
    size_t slot = position;
    if (const json* index = member(item, "index"); index && index->is_number_unsigned())
      slot = index->get<size_t>();
    const json* embedding = member(item, "embedding");
    if (slot >= vectors.size() || embedding == nullptr || !embedding->is_array() || embedding->empty())
      throw fail("a malformed embedding");
    auto& vector = vectors[slot];
    vector.reserve(embedding->size());
    for (const auto& value : *embedding) {
      if (!value.is_number()) throw fail("a non-numeric embedding value");
      vector.push_back(value.get<float>());
    }
  }
  for (const auto& vector : vectors)
    if (vector.empty()) throw fail("a missing embedding");
  return vectors;
}

}  // namespace weir
