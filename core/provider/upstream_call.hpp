// Upstream call — the one way every provider adapter talks HTTP to its service.
//
// An adapter (openai_provider, and later anthropic, gemini, azure, bedrock)
// knows its wire format: the URL path, the body, the auth header, and how to
// read an answer. Everything else about a call is decided here, once:
// - the URL: {base_url}{path}, with the provider's base URL checked;
// - headers: the adapter's, then the provider's configured headers over them
//   (a configured header replaces one of the same name, any case);
// - timeouts: the provider's connect, idle and total timeouts;
// - HTTP status -> weir::Error (throw_for_status): 401/403 authentication,
//   404 upstream (model or endpoint not found), 429 rate_limited, 529 (and
//   a 503 that says "overloaded", or an answer the adapter's ErrorReading
//   calls overload) rate_limited, other 5xx upstream, 3xx
//   "redirected", a 400/413 saying the prompt exceeds the model's context
//   usage (code context_length_exceeded), a 400 with error.code
//   "content_filter" usage (code content_filter), other 4xx "rejected the
//   request", each with the upstream's own message;
// - retries: 429, 500, 502, 503, 504, 529 and connection failures are retried
//   up to max_retries times with exponential backoff and jitter, honouring
//   Retry-After (seconds or an HTTP date) and retry-after-ms; a Retry-After
//   beyond 30 s fails at once and says when to retry. Waits are cancellable.
//   A streamed call is retried only while nothing reached the caller.
//
// Threading: everything runs on the calling thread; nothing is shared.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "core/net/http_client.hpp"
#include "core/provider/provider.hpp"

namespace weir {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// {base_url}{path}: the path appended to the base URL's path (trailing
// slashes dropped), the base's query string kept after it
// (`https://h/v1?api-version=X` -> `https://h/v1/chat/completions?api-version=X`),
// a fragment dropped. Error(usage) when the provider has no base URL.
std::string upstream_url(const ProviderConfig& config, std::string_view path);

// Sets `name: value`, replacing a header of the same name (any case).
void set_header(HeaderList& headers, const std::string& name, const std::string& value);

// Whether the provider's configured headers are sent with their ${NAME}
// references resolved (api_key.hpp), or kept as written for showing.
enum class HeaderReferences { resolved, as_written };

// A request to the provider's service: method, URL, the adapter's headers
// with the provider's configured ones over them, the provider's timeouts.
// Resolving a reference to an unset variable is Error(authentication).
HttpRequest upstream_request(const ProviderConfig& config, std::string method, std::string url, HeaderList headers,
                             std::string body = {},
                             HeaderReferences references = HeaderReferences::resolved);

// The message an upstream put in an error body, whatever its dialect:
// {"error": {"message": ...}}, {"error": "..."}, {"message": ...}, or the
// first 500 bytes of a body that is not JSON.
std::string upstream_error_message(const nlohmann::json& object);
std::string upstream_error_message(std::string_view body);

// The string at error.code of an error body ("context_length_exceeded",
// Azure's "content_filter"), or "" when there is none.
std::string upstream_error_code(std::string_view body);

// `text`, cut to `limit` bytes with "..." when longer.
std::string first_bytes(std::string_view text, size_t limit);

// A failure another attempt may cure; run_with_retries turns it into a plain
// Error when the retries are spent.
class RetryableFailure : public Error {
 public:
  RetryableFailure(ErrorKind kind, std::string message, std::optional<std::chrono::milliseconds> retry_after)
      : Error(kind, std::move(message)), retry_after_(retry_after) {}
  const std::optional<std::chrono::milliseconds>& retry_after() const { return retry_after_; }

 private:
  std::optional<std::chrono::milliseconds> retry_after_;
};

// Waits `duration`; Error(interrupted) as soon as `cancel` fires.
void sleep_cancellable(std::chrono::milliseconds duration, const CancelToken& cancel);

// The wait a response asks for (retry-after-ms, or Retry-After in seconds or
// as an HTTP date), if any.
std::optional<std::chrono::milliseconds> retry_after_of(const HttpResponseHead& head);

// An adapter's reading of its own service's error answers, where a status
// alone misleads: the kind of Error the answer (head and body: a service may
// name its error in a header) means, or nullopt to let the table decide. The
// reading wins over the status. Honoured kinds:
// - authentication: handled as a 401, with the key hint (Gemini answers a bad
//   key with 400 INVALID_ARGUMENT);
// - usage: the request itself must change; the upstream's message is kept
//   (Gemini's too-long prompt, also a 400 INVALID_ARGUMENT);
// - rate_limited: the service is overloaded (Bedrock's 503
//   ServiceUnavailableException, named in x-amzn-ErrorType): retried, then
//   Error(rate_limited) "is overloaded", exactly as a 529.
// Other kinds fall through to the table.
using ErrorReading = std::function<std::optional<ErrorKind>(const HttpResponseHead& head, std::string_view body)>;

// Whether an upstream's error text says the prompt does not fit the model's
// context, in any kind's words: OpenAI's and Azure's code
// context_length_exceeded, Anthropic's "prompt is too long", vLLM's, Mistral's
// and DeepSeek's "maximum context length", llama.cpp's "exceeds the available
// context size", Gemini's "exceeds the maximum number of tokens", Bedrock's
// "input is too long". Such an answer is Error(usage), code
// context_length_exceeded.
bool says_context_too_long(std::string_view text);

// Throws the weir::Error a non-2xx answer means (see the table above);
// retryable statuses throw RetryableFailure. `model` names the model in a 404.
[[noreturn]] void throw_for_status(const ProviderConfig& config, const std::string& url, const std::string& model,
                                   const HttpResponseHead& head, std::string_view body,
                                   const ErrorReading& reading = {});

// Runs `attempt` until it returns, throws a final error, or the retries run
// out. `may_retry` says whether another attempt is still allowed (false once
// output reached the caller: a retry would repeat it).
void run_with_retries(const ProviderConfig& config, const CancelToken& cancel, const std::function<void()>& attempt,
                      const std::function<bool()>& may_retry);

// What an adapter whose service needs more than the defaults adds to a call.
struct CallHooks {
  // Runs on a copy of the request before each attempt: a signature that
  // embeds the time (AWS SigV4) is computed here, fresh for every retry.
  std::function<void(HttpRequest&)> before_attempt;
  // Sees a non-2xx answer before throw_for_status; may throw its own Error (a
  // service that names its error in a header or body field, such as Bedrock's
  // x-amzn-ErrorType). Returning leaves it to throw_for_status.
  std::function<void(const HttpResponseHead&, std::string_view body)> on_error_status;
  // Given to throw_for_status: what the service's error answers mean where a
  // status alone misleads (Gemini).
  ErrorReading error_reading;
};

// A whole-body exchange (model lists, embeddings): retries as above, a non-2xx
// status thrown as its Error, a body over 64 MiB refused.
HttpResponse exchange_whole_body(const ProviderConfig& config, const HttpRequest& http, const std::string& model,
                                 const CancelToken& cancel, const CallHooks& hooks = {});

// How an adapter reads one chat answer. upstream_call decides from the
// response's content type whether the answer is a stream (text/event-stream,
// or anything but JSON when a stream was asked for) or one JSON body, and
// feeds it here (application/vnd.amazon.eventstream is a stream too). A
// reader is made fresh for each attempt.
class AnswerReader {
 public:
  virtual ~AnswerReader() = default;
  // Stream bytes as they arrive, in order.
  virtual void on_stream_bytes(std::string_view bytes) = 0;
  // The stream closed normally; throw Error(upstream) when the answer is incomplete.
  virtual void on_stream_end() = 0;
  // The stream said it is complete: later bytes are ignored, and a transport
  // failure after it (a server that neither ends nor closes) is not an error.
  virtual bool stream_complete() const = 0;
  // The whole answer as one JSON object (a non-streamed call, or a server
  // that ignored `stream`).
  virtual void on_whole_body(const nlohmann::json& body) = 0;
};

// One chat call: sends `http`, feeds the answer to a reader made by
// `make_reader` for each attempt, and retries while `delivered()` is false.
void call_for_answer(const ProviderConfig& config, const HttpRequest& http, const std::string& model, bool stream,
                     const std::function<std::unique_ptr<AnswerReader>()>& make_reader,
                     const std::function<bool()>& delivered, const CancelToken& cancel,
                     const CallHooks& hooks = {});

}  // namespace weir
