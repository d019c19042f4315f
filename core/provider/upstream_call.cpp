#include "core/provider/upstream_call.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <limits>
#include <random>
#include <thread>

#include "core/ascii_case.hpp"
#include "core/json_input.hpp"
#include "core/provider/api_key.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

using std::chrono::milliseconds;
using json = nlohmann::json;

constexpr size_t kMaxJsonBody = size_t{64} << 20;
// Error bodies are for a message; the rest of a huge one is noise.
constexpr size_t kMaxErrorBody = size_t{64} << 10;
constexpr auto kLongestRetryWait = std::chrono::seconds(30);
constexpr auto kCancelPollInterval = milliseconds(50);

bool same_header_name(std::string_view left, std::string_view right) {
  return std::equal(left.begin(), left.end(), right.begin(), right.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
}

std::optional<double> parse_number(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos) return std::nullopt;
  try {
    return std::stod(std::string(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string provider_label(const ProviderConfig& config) {
  return config.name.empty() ? std::string("the upstream") : config.name;
}

milliseconds backoff(int attempt) {
  // Jitter spreads out clients that all failed at the same moment.
  thread_local std::minstd_rand generator{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  double nominal = 250.0 * std::pow(2.0, std::min(attempt, 10));
  return milliseconds(static_cast<int64_t>(nominal * jitter(generator)));
}

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

bool mentions_overload(std::string_view message) {
  return ascii_lowercase(message).find("overload") != std::string::npos;
}


// A 400/413 whose meaning every service shares: the caller's request cannot
// be served as it is, so it is the caller's error (usage: exit 2, HTTP 400)
// with the upstream's message, and a code a client can act on. Content
// filter: Azure's code for a prompt its content filter blocked.
void throw_for_rejected_request(const std::string& name, const std::string& http_status, const std::string& message,
                                std::string_view body, const std::string& code) {
  if (code == "context_length_exceeded" || says_context_too_long(message + " " + std::string(body.substr(0, 4096))))
    throw Error(ErrorKind::usage,
                name + ": the conversation is too long for the model " + http_status + ": " + message +
                    "; shorten the conversation or the attached documents, lower max_tokens, set the gateway's "
                    "max_context_tokens with on_overflow truncate, or use a model with a longer context",
                "context_length_exceeded");
  if (code == "content_filter")
    throw Error(ErrorKind::usage,
                name + ": the prompt was filtered by Azure's content filter " + http_status + ": " + message +
                    "; rephrase the prompt, or ask the resource's owner about its content filtering configuration",
                "content_filter");
}

}  // namespace

bool says_context_too_long(std::string_view text) {
  std::string lower = ascii_lowercase(text);
  for (std::string_view phrase : {"prompt is too long", "context_length_exceeded", "maximum context length",
                                  "context window", "input is too long", "too many input tokens",
                                  "exceeds the available context size", "exceeds the maximum number of tokens"})
    if (lower.find(phrase) != std::string::npos) return true;
  return false;
}

std::string upstream_error_code(std::string_view body) {
  JsonReadResult parsed = read_json(body);
  if (!parsed.ok()) return {};
  const json* error = member(parsed.value, "error");
  const json* code = error != nullptr ? member(*error, "code") : nullptr;
  return code != nullptr && code->is_string() ? code->get<std::string>() : std::string();
}

std::string first_bytes(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

std::string upstream_url(const ProviderConfig& config, std::string_view path) {
  // The path goes at the end of the base's path, before its query (Azure's
  // `?api-version=...`); a fragment is never sent, so it is dropped.
  std::string base = config.base_url.substr(0, config.base_url.find('#'));
  std::string query;
  if (auto question = base.find('?'); question != std::string::npos) {
    query = base.substr(question);
    base.erase(question);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty())
    throw Error(ErrorKind::usage, "provider '" + config.name + "' has no base_url; set one with `weir provider add " +
                                      config.name + " --base-url URL`");
  if (query == "?") query.clear();
  return base + std::string(path) + query;
}

void set_header(HeaderList& headers, const std::string& name, const std::string& value) {
  for (auto& [existing, existing_value] : headers)
    if (same_header_name(existing, name)) {
      existing_value = value;
      return;
    }
  headers.emplace_back(name, value);
}

HttpRequest upstream_request(const ProviderConfig& config, std::string method, std::string url, HeaderList headers,
                             std::string body, HeaderReferences references) {
  HttpRequest http;
  http.method = std::move(method);
  http.url = std::move(url);
  // The provider's configured headers come last, so they can override ours
  // (a custom Authorization scheme).
  for (const auto& [name, value] : config.headers)
    set_header(headers, name,
               references == HeaderReferences::resolved ? resolve_header_value(config, name, value) : value);
  http.headers = std::move(headers);
  http.body = std::move(body);
  http.connect_timeout_ms = config.connect_timeout_ms;
  http.idle_timeout_ms = config.idle_timeout_ms;
  http.total_timeout_ms = config.total_timeout_ms;
  return http;
}

std::string upstream_error_message(const json& object) {
  if (const json* error = member(object, "error")) {
    if (error->is_string()) return error->get<std::string>();
    if (const json* message = member(*error, "message"); message != nullptr && message->is_string())
      return message->get<std::string>();
    return first_bytes(error->dump(-1, ' ', false, json::error_handler_t::replace), 500);
  }
  const json* message = member(object, "message");
  return message != nullptr && message->is_string() ? message->get<std::string>() : std::string();
}

std::string upstream_error_message(std::string_view body) {
  JsonReadResult parsed = read_json(body);
  if (parsed.ok()) {
    std::string message = upstream_error_message(parsed.value);
    if (!message.empty()) return message;
  }
  std::string_view trimmed = body;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.remove_suffix(1);
  if (trimmed.empty()) return "(empty response body)";
  return first_bytes(trimmed, 500);
}

void sleep_cancellable(milliseconds duration, const CancelToken& cancel) {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (true) {
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kCancelPollInterval, deadline - now));
  }
}

std::optional<milliseconds> retry_after_of(const HttpResponseHead& head) {
  // A wait beyond a year is nonsense; capped, it cannot overflow the cast.
  constexpr double kLongestMs = 365.0 * 24 * 3600 * 1000;
  if (auto value = head.header("retry-after-ms"))
    if (auto number = parse_number(*value)) return milliseconds(static_cast<int64_t>(std::min(*number, kLongestMs)));
  auto value = head.header("retry-after");
  if (!value) return std::nullopt;
  if (auto seconds = parse_number(*value))
    return milliseconds(static_cast<int64_t>(std::min(*seconds * 1000, kLongestMs)));
  std::tm parts{};
  const char* end = strptime(value->c_str(), "%a, %d %b %Y %H:%M:%S", &parts);
  if (end == nullptr) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&parts));
  auto wait = std::chrono::duration_cast<milliseconds>(when - std::chrono::system_clock::now());
  return std::max(wait, milliseconds(0));
}

namespace {
[[noreturn]] void throw_for_status_unmarked(const ProviderConfig& config, const std::string& url,
                                            const std::string& model, const HttpResponseHead& head,
                                            std::string_view body, const ErrorReading& reading) {
  const int status = head.status;
  const std::string http_status = "(HTTP " + std::to_string(status) + ")";
  // An upstream may quote the URL it was asked for; the message reaches HTTP
  // clients and the request log, so it gets the same redaction as ours.
  const std::string message = redact_urls_in_text(upstream_error_message(body));
  const std::string name = provider_label(config);
  const std::string shown_url = redact_url(url);
  const std::optional<ErrorKind> meant = reading ? reading(head, body) : std::nullopt;
  if (meant == ErrorKind::usage) {
    throw_for_rejected_request(name, http_status, message, body, upstream_error_code(body));
    throw Error(ErrorKind::usage, name + " rejected the request " + http_status + ": " + message);
  }
  // Overload is a limit of the service's capacity, not a fault: like a rate
  // limit it is retried and then told as one (exit 6, HTTP 429), so a client
  // backs off. 529 is the overloaded status (Anthropic); OpenAI says it in a
  // 503's message; Bedrock in a 503's x-amzn-ErrorType (its ErrorReading).
  if (meant == ErrorKind::rate_limited || status == 529 || (status == 503 && mentions_overload(message)))
    throw RetryableFailure(ErrorKind::rate_limited, name + " is overloaded " + http_status + ": " + message,
                           retry_after_of(head));
  if (status == 401 || status == 403 || meant == ErrorKind::authentication) {
    std::string hint;
    if (!config.api_key_env.empty())
      hint = "check $" + config.api_key_env;
    else if (!config.api_key_cmd.empty())
      hint = "check the output of api_key_cmd";
    else
      hint = "no API key is configured; add one with `weir provider add " + config.name + " --api-key-env VAR`";
    throw Error(ErrorKind::authentication, name + " rejected the API key " + http_status + ": " + message + "; " + hint);
  }
  if (status == 404)
    throw Error(ErrorKind::upstream, name + ": " + (model.empty() ? "" : "model '" + model + "' or ") +
                                         "endpoint not found at " + shown_url + " " + http_status + ": " + message);
  if (status == 429)
    throw RetryableFailure(ErrorKind::rate_limited, name + " is rate limiting requests " + http_status + ": " + message,
                           retry_after_of(head));
  if (status == 500 || status == 502 || status == 503 || status == 504)
    throw RetryableFailure(ErrorKind::upstream, name + " answered HTTP " + std::to_string(status) + ": " + message,
                           retry_after_of(head));
  if (status >= 500)
    throw Error(ErrorKind::upstream, name + " answered HTTP " + std::to_string(status) + ": " + message);
  if (status >= 300 && status < 400)
    throw Error(ErrorKind::upstream, name + " redirected " + shown_url + " " + http_status + " to " +
                                         redact_url(head.header("location").value_or("(no location)")) +
                                         "; set the provider's base_url to the new address");
  if (status == 400 || status == 413)
    throw_for_rejected_request(name, http_status, message, body, upstream_error_code(body));
  throw Error(ErrorKind::upstream, name + " rejected the request " + http_status + ": " + message);
}
}  // namespace

void throw_for_status(const ProviderConfig& config, const std::string& url, const std::string& model,
                      const HttpResponseHead& head, std::string_view body, const ErrorReading& reading) {
  try {
    throw_for_status_unmarked(config, url, model, head, body, reading);
  } catch (Error& error) {
    error.set_upstream_status(head.status);  // the same object travels on, whatever its type
    throw;
  }
}

void run_with_retries(const ProviderConfig& config, const CancelToken& cancel, const std::function<void()>& attempt,
                      const std::function<bool()>& may_retry) {
  const int max_retries = std::max(0, config.max_retries);
  for (int attempt_number = 0;; ++attempt_number) {
    std::optional<milliseconds> wait;
    try {
      attempt();
      return;
    } catch (const RetryableFailure& failure) {
      std::string tries = attempt_number > 0 ? " (after " + std::to_string(attempt_number + 1) + " attempts)" : "";
      // The final error carries the upstream's wait, so a front door can pass
      // it on (HTTP Retry-After) instead of the caller guessing.
      auto final_error = [&](std::string message) {
        Error error(failure.kind(), std::move(message), failure.code());
        error.set_upstream_status(failure.upstream_status());
        if (failure.retry_after() && failure.kind() == ErrorKind::rate_limited)
          error.set_retry_after_seconds(static_cast<int>(std::clamp<int64_t>(
              (failure.retry_after()->count() + 999) / 1000, 1, std::numeric_limits<int>::max())));
        return error;
      };
      // A long wait is better left to the user than spent blocking them.
      if (failure.retry_after() && *failure.retry_after() > kLongestRetryWait)
        throw final_error(failure.what() + tries + "; the upstream asks to retry in " +
                          std::to_string((failure.retry_after()->count() + 999) / 1000) + " s, try again then");
      if (!may_retry() || attempt_number >= max_retries) throw final_error(failure.what() + tries);
      wait = failure.retry_after() ? *failure.retry_after() : backoff(attempt_number);
    } catch (const HttpConnectionError& failure) {
      if (!may_retry() || attempt_number >= max_retries) throw;
      wait = backoff(attempt_number);
    }
    sleep_cancellable(*wait, cancel);
  }
}

namespace {
// The request one attempt sends: `http` itself, or, when the adapter signs
// each attempt, a copy in `signed_request` with its hook applied (a body is
// copied only then).
const HttpRequest& request_for_attempt(const HttpRequest& http, const CallHooks& hooks, HttpRequest& signed_request) {
  if (!hooks.before_attempt) return http;
  signed_request = http;
  hooks.before_attempt(signed_request);
  return signed_request;
}
}  // namespace

HttpResponse exchange_whole_body(const ProviderConfig& config, const HttpRequest& http, const std::string& model,
                                 const CancelToken& cancel, const CallHooks& hooks) {
  HttpResponse response;
  run_with_retries(
      config, cancel,
      [&] {
        HttpRequest signed_request;
        response = fetch_http(request_for_attempt(http, hooks, signed_request), cancel, kMaxJsonBody);
        if (response.head.status < 200 || response.head.status >= 300) {
          if (hooks.on_error_status) hooks.on_error_status(response.head, response.body);
          throw_for_status(config, http.url, model, response.head, response.body, hooks.error_reading);
        }
      },
      [] { return true; });
  return response;
}

namespace {

// One attempt at a chat call: decides how to read the answer from its head,
// then hands the bytes to the adapter's reader.
class AnswerAttempt {
 public:
  AnswerAttempt(const ProviderConfig& config, const HttpRequest& http, const std::string& model, bool stream,
                AnswerReader& reader, const CallHooks& hooks)
      : config_(config), http_(http), model_(model), stream_(stream), reader_(reader), hooks_(hooks) {}

  void run(const CancelToken& cancel) {
    HttpResponseHead head;
    try {
      head = send_http_request(
          http_, [this](const HttpResponseHead& response, std::string_view bytes) { on_bytes(response, bytes); },
          cancel);
    } catch (const Error& error) {
      // After the stream said it is complete, a server that then neither ends
      // the response nor closes cleanly must not turn the answer into a failure.
      bool transport_failure = error.kind() == ErrorKind::upstream_timeout ||
                               dynamic_cast<const HttpConnectionError*>(&error) != nullptr;
      if (!(mode_ == Mode::stream && reader_.stream_complete() && transport_failure)) throw;
      return;
    }
    if (mode_ == Mode::undecided) decide(head);
    switch (mode_) {
      case Mode::error:
        if (hooks_.on_error_status) hooks_.on_error_status(head, buffer_);
        throw_for_status(config_, http_.url, model_, head, buffer_, hooks_.error_reading);
      case Mode::whole_body:
        finish_whole_body();
        break;
      case Mode::stream:
        reader_.on_stream_end();
        break;
      case Mode::undecided:
        break;
    }
  }

 private:
  enum class Mode { undecided, stream, whole_body, error };

  void decide(const HttpResponseHead& head) {
    if (head.status < 200 || head.status >= 300) {
      mode_ = Mode::error;
      return;
    }
    std::string type = head.header("content-type").value_or("");
    if (type.find("text/event-stream") != std::string::npos ||
        type.find("application/vnd.amazon.eventstream") != std::string::npos)
      mode_ = Mode::stream;
    else if (type.find("json") != std::string::npos)
      mode_ = Mode::whole_body;  // also a server that ignored `stream`
    else
      mode_ = stream_ ? Mode::stream : Mode::whole_body;
  }

  void on_bytes(const HttpResponseHead& head, std::string_view bytes) {
    if (mode_ == Mode::undecided) decide(head);
    if (mode_ == Mode::stream) {
      if (!reader_.stream_complete()) reader_.on_stream_bytes(bytes);
    } else if (mode_ == Mode::whole_body) {
      if (buffer_.size() + bytes.size() > kMaxJsonBody)
        throw Error(ErrorKind::upstream, "the answer from " + redact_url(http_.url) + " is larger than " +
                                             std::to_string(kMaxJsonBody >> 20) + " MiB; refusing to read more");
      buffer_.append(bytes);
    } else if (buffer_.size() < kMaxErrorBody) {
      buffer_.append(bytes.substr(0, kMaxErrorBody - buffer_.size()));
    }
  }

  void finish_whole_body() {
    JsonReadResult read = read_json(buffer_);
    if (!read.ok())
      throw Error(ErrorKind::upstream, provider_label(config_) + " sent a malformed answer (" +
                                           read.problem->description + "): " + first_bytes(buffer_, 200));
    const json& body = read.value;
    if (!body.is_object())
      throw Error(ErrorKind::upstream, provider_label(config_) + " sent a malformed answer (not a JSON object): " +
                                           first_bytes(buffer_, 200));
    if (member(body, "error") != nullptr)
      throw Error(ErrorKind::upstream, "upstream error: " + upstream_error_message(body));
    reader_.on_whole_body(body);
  }

  const ProviderConfig& config_;
  const HttpRequest& http_;
  const std::string& model_;
  bool stream_;
  AnswerReader& reader_;
  const CallHooks& hooks_;
  Mode mode_ = Mode::undecided;
  std::string buffer_;
};

}  // namespace

void call_for_answer(const ProviderConfig& config, const HttpRequest& http, const std::string& model, bool stream,
                     const std::function<std::unique_ptr<AnswerReader>()>& make_reader,
                     const std::function<bool()>& delivered, const CancelToken& cancel,
                     const CallHooks& hooks) {
  run_with_retries(
      config, cancel,
      [&] {
        auto reader = make_reader();
        HttpRequest signed_request;
        AnswerAttempt(config, request_for_attempt(http, hooks, signed_request), model, stream, *reader, hooks)
            .run(cancel);
      },
      [&] { return !delivered(); });
}

}  // namespace weir
