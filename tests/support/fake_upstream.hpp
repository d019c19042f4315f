// An in-process fake of an upstream model service, for tests.
//
// It listens on 127.0.0.1 on a port the OS picks, from construction until
// destruction, and serves:
//   POST /v1/chat/completions  the next scripted response, or the responder's,
//                              or the default one
//   POST to a path added with answer_posts_matching(): the same script
//   GET  /v1/models            the configured model list
//   GET  a path given to answer_get(): that fixed JSON body
//   anything else              404 with an OpenAI error object
// OpenAI is the default dialect; a test of another provider kind (Anthropic,
// Gemini, Bedrock) adds its paths and scripts answers in that kind's wire
// format (raw_stream() for framings that are not `data:` lines).
// Every request is recorded (method, path, headers, body, body as JSON).
//
// The default response, used when the script is empty, answers in the shape
// asked for: an SSE stream (role, content, finish, usage chunks and [DONE])
// when the request body says "stream": true, else a chat.completion object.
//
// Streams really are streamed: each event is written (and flushed) after its
// own delay, and a stalled response holds the connection open in silence.
// Destruction interrupts any delay or stall at once, so a test never waits
// for a stall to run out.
//
// Tests synchronise on what the fake observed, never on time: wait_for_requests()
// returns once that many requests have arrived, wait_for_stalls() once that
// many stalled responses have sent their events and gone silent (the client
// holds them: the upstream call is under way).
//
// Thread-safe: requests are served on the server's threads while the test
// thread scripts and inspects.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir::testing {

using json = nlohmann::json;

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  json json_body;  // null when the body is not JSON
  std::map<std::string, std::string> query;  // the URL's query parameters
  // The header's value (name in any case), or "" when absent.
  std::string header(const std::string& name) const;
};

struct StreamEvent {
  std::string payload;                 // written as "data: <payload>\n\n"
  std::chrono::milliseconds delay{0};  // silence before this event
  bool raw = false;                    // written as the payload's bytes alone
};

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Retry-After", "0"}
  std::string content_type = "application/json";
  std::string body;  // the whole body, when not streamed

  bool streamed = false;  // send `events` as SSE, one by one
  std::vector<StreamEvent> events;
  std::chrono::milliseconds stall_after{0};  // then keep the connection open, silent
  // When > 0: after the events, send an SSE comment (": ping") at this
  // interval until the client hangs up or the fake is destroyed; the
  // connection is never silent and the answer never ends.
  std::chrono::milliseconds comment_interval{0};
  // Silence before the answer begins (its status line): an upstream's latency.
  std::chrono::milliseconds latency{0};

  // A status and JSON body, with optional extra headers.
  static ScriptedResponse json_body(int status, const json& body,
                                    std::vector<std::pair<std::string, std::string>> headers = {});
  // An SSE stream of the given data payloads, each after `delay`.
  static ScriptedResponse sse(const std::vector<std::string>& payloads,
                              std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // An SSE stream that sends the payloads, then goes silent for `stall`.
  static ScriptedResponse stalled(const std::vector<std::string>& payloads,
                                  std::chrono::milliseconds stall);
  // An SSE stream that sends only comments, one per `interval`, forever.
  static ScriptedResponse comments_forever(std::chrono::milliseconds interval);
  // Any status, content type and bytes.
  static ScriptedResponse raw(int status, std::string content_type, std::string body);
  // A streamed 200 answer whose chunks are written as given, each after
  // `delay` (Anthropic's `event:` lines, Bedrock's binary event-stream frames).
  static ScriptedResponse raw_stream(const std::vector<std::string>& chunks, std::string content_type,
                                     std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // A complete answer with `text`: an OpenAI stream or a chat.completion.
  static ScriptedResponse text_answer(const std::string& text, bool stream);
};

// Payloads of the usual OpenAI stream chunks (for ScriptedResponse::sse).
namespace openai_chunk {
inline constexpr const char* kId = "chatcmpl-fake";
inline constexpr const char* kModel = "fake-model";
std::string role();
std::string content(const std::string& text);
std::string reasoning_content(const std::string& text);
// id and name are left out of the chunk when empty, as real servers do after
// the first fragment of a call.
std::string tool_call(int index, const std::string& id, const std::string& name,
                      const std::string& arguments);
std::string finish(const std::string& reason);
std::string usage(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens = 0,
                  int64_t reasoning_tokens = 0);
inline constexpr const char* kDone = "[DONE]";
}  // namespace openai_chunk

// A plain chat.completion object answering `content`.
json chat_completion(const std::string& content, const std::string& finish_reason = "stop",
                     int64_t prompt_tokens = 10, int64_t completion_tokens = 5);

class FakeUpstream {
 public:
  FakeUpstream();
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT/v1"
  std::string root_url() const;  // "http://127.0.0.1:PORT"

  // POST requests whose path fully matches `path_pattern` (ECMAScript regex,
  // e.g. "/v1beta/models/[^/]+:generateContent") are answered from the
  // script too, and recorded.
  void answer_posts_matching(const std::string& path_pattern);
  // GET `path` answers 200 with `body` (a provider kind's model list).
  void answer_get(const std::string& path, json body);

  // Responses for POST /v1/chat/completions, used in order.
  void enqueue(ScriptedResponse response);
  // Replaces the built-in default answer for when the queue is empty.
  void set_default(ScriptedResponse response);
  // Answers computed from each request, for when the queue is empty (wins
  // over the default): `serial` is the request's 0-based position in
  // requests(), so an answer can say which request it answered. Called on
  // the server's threads, several at once.
  using Responder = std::function<ScriptedResponse(const RecordedRequest& request, size_t serial)>;
  void set_responder(Responder responder);
  void set_models(std::vector<std::string> model_ids);

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  // True once at least `count` requests have been recorded; false if the
  // timeout passed first.
  bool wait_for_requests(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // True once at least `count` stalled responses have written every event
  // and begun their silence; false if the timeout passed first.
  bool wait_for_stalls(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weir::testing
