#include "tests/support/fake_upstream.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>

namespace weir::testing {

namespace {

std::string to_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char letter) { return static_cast<char>(std::tolower(letter)); });
  return text;
}

json chunk_with(json choices) {
  return {{"id", openai_chunk::kId},
          {"object", "chat.completion.chunk"},
          {"created", 1700000000},
          {"model", openai_chunk::kModel},
          {"choices", std::move(choices)}};
}

std::string delta_chunk(json delta, json finish_reason = nullptr) {
  return chunk_with(
             json::array(
                 {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}}))
      .dump();
}

json openai_error(const std::string& message, const std::string& type) {
  return {{"error", {{"message", message}, {"type", type}, {"code", nullptr}}}};
}

}  // namespace

std::string RecordedRequest::header(const std::string& name) const {
  auto found = headers.find(to_lower(name));
  return found == headers.end() ? std::string() : found->second;
}

ScriptedResponse ScriptedResponse::json_body(
    int status, const json& body, std::vector<std::pair<std::string, std::string>> headers) {
  ScriptedResponse response;
  response.status = status;
  response.body = body.dump();
  response.headers = std::move(headers);
  return response;
}

ScriptedResponse ScriptedResponse::sse(const std::vector<std::string>& payloads,
                                       std::chrono::milliseconds delay) {
  ScriptedResponse response;
  response.content_type = "text/event-stream";
  response.streamed = true;
  for (const auto& payload : payloads) response.events.push_back({payload, delay});
  return response;
}

ScriptedResponse ScriptedResponse::stalled(const std::vector<std::string>& payloads,
                                           std::chrono::milliseconds stall) {
  ScriptedResponse response = sse(payloads);
  response.stall_after = stall;
  return response;
}

ScriptedResponse ScriptedResponse::comments_forever(std::chrono::milliseconds interval) {
  ScriptedResponse response = sse({});
  response.comment_interval = interval;
  return response;
}

ScriptedResponse ScriptedResponse::raw(int status, std::string content_type, std::string body) {
  ScriptedResponse response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

ScriptedResponse ScriptedResponse::raw_stream(const std::vector<std::string>& chunks, std::string content_type,
                                              std::chrono::milliseconds delay) {
  ScriptedResponse response;
  response.content_type = std::move(content_type);
  response.streamed = true;
  for (const auto& chunk : chunks) response.events.push_back({chunk, delay, true});
  return response;
}

ScriptedResponse ScriptedResponse::text_answer(const std::string& text, bool stream) {
  if (!stream) return json_body(200, chat_completion(text));
  return sse({openai_chunk::role(), openai_chunk::content(text), openai_chunk::finish("stop"),
              openai_chunk::usage(10, 5), openai_chunk::kDone});
}

namespace openai_chunk {

std::string role() { return delta_chunk({{"role", "assistant"}, {"content", ""}}); }

std::string content(const std::string& text) { return delta_chunk({{"content", text}}); }

std::string reasoning_content(const std::string& text) {
  return delta_chunk({{"reasoning_content", text}});
}

std::string tool_call(int index, const std::string& id, const std::string& name,
                      const std::string& arguments) {
  json call = {{"index", index}, {"function", {{"arguments", arguments}}}};
  if (!id.empty()) {
    call["id"] = id;
    call["type"] = "function";
  }
  if (!name.empty()) call["function"]["name"] = name;
  return delta_chunk({{"tool_calls", json::array({call})}});
}

std::string finish(const std::string& reason) { return delta_chunk(json::object(), reason); }

std::string usage(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens,
                  int64_t reasoning_tokens) {
  json chunk = chunk_with(json::array());
  chunk["usage"] = {{"prompt_tokens", prompt_tokens},
                    {"completion_tokens", completion_tokens},
                    {"total_tokens", prompt_tokens + completion_tokens},
                    {"prompt_tokens_details", {{"cached_tokens", cached_tokens}}},
                    {"completion_tokens_details", {{"reasoning_tokens", reasoning_tokens}}}};
  return chunk.dump();
}

}  // namespace openai_chunk

json chat_completion(const std::string& content, const std::string& finish_reason,
                     int64_t prompt_tokens, int64_t completion_tokens) {
  return {{"id", openai_chunk::kId},
          {"object", "chat.completion"},
          {"created", 1700000000},
          {"model", openai_chunk::kModel},
          {"choices", json::array({{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", content}}},
                                    {"finish_reason", finish_reason}}})},
          {"usage",
           {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt_tokens + completion_tokens}}}};
}

constexpr const char* kReadinessPath = "/__fake_upstream_ready";

struct FakeUpstream::State {
  httplib::Server server;
  std::thread listener;
  int port = 0;

  mutable std::mutex mutex;
  std::condition_variable wake;
  // Signalled when a request is recorded or a stall begins.
  mutable std::condition_variable observed;
  bool stopping = false;
  size_t stalls_begun = 0;
  std::deque<ScriptedResponse> script;
  std::optional<ScriptedResponse> default_response;
  FakeUpstream::Responder responder;
  std::vector<std::string> models{"fake-model", "fake-model-large"};
  std::vector<RecordedRequest> requests;
  std::vector<std::regex> scripted_post_paths;
  std::map<std::string, json> fixed_gets;

  bool answers_post(const std::string& path) const {
    std::lock_guard lock(mutex);
    return std::any_of(scripted_post_paths.begin(), scripted_post_paths.end(),
                       [&](const std::regex& pattern) { return std::regex_match(path, pattern); });
  }

  std::optional<json> fixed_get(const std::string& path) const {
    std::lock_guard lock(mutex);
    auto found = fixed_gets.find(path);
    if (found == fixed_gets.end()) return std::nullopt;
    return found->second;
  }

  // Sleeps unless the fake is shutting down; false means: stop now.
  bool pause(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex);
    return !wake.wait_for(lock, duration, [this] { return stopping; });
  }

  // Records the request; returns its serial (position in `requests`).
  size_t record(const httplib::Request& request) {
    RecordedRequest recorded;
    recorded.method = request.method;
    recorded.path = request.path;
    for (const auto& [name, value] : request.headers) recorded.headers[to_lower(name)] = value;
    recorded.body = request.body;
    for (const auto& [name, value] : request.params) recorded.query[name] = value;
    json parsed = json::parse(request.body, nullptr, false);
    if (!parsed.is_discarded()) recorded.json_body = std::move(parsed);
    size_t serial = 0;
    {
      std::lock_guard lock(mutex);
      serial = requests.size();
      requests.push_back(std::move(recorded));
    }
    observed.notify_all();
    return serial;
  }

  void begin_stall() {
    {
      std::lock_guard lock(mutex);
      ++stalls_begun;
    }
    observed.notify_all();
  }

  template <typename Condition>
  bool wait_until(std::chrono::milliseconds timeout, Condition condition) const {
    std::unique_lock lock(mutex);
    return observed.wait_for(lock, timeout, condition);
  }

  ScriptedResponse next_response(const httplib::Request& request, size_t serial) {
    FakeUpstream::Responder compute;
    RecordedRequest recorded;
    {
      std::lock_guard lock(mutex);
      if (!script.empty()) {
        ScriptedResponse response = std::move(script.front());
        script.pop_front();
        return response;
      }
      if (responder) {
        compute = responder;
        recorded = requests.at(serial);
      } else if (default_response) {
        return *default_response;
      }
    }
    if (compute) return compute(recorded, serial);
    json body = json::parse(request.body, nullptr, false);
    bool stream = !body.is_discarded() && body.is_object() && body.value("stream", false);
    return ScriptedResponse::text_answer("Hello from the fake upstream.", stream);
  }

  void answer(const ScriptedResponse& scripted, httplib::Response& response) {
    if (scripted.latency.count() > 0 && !pause(scripted.latency)) return;
    response.status = scripted.status;
    for (const auto& [name, value] : scripted.headers) response.set_header(name, value);
    if (!scripted.streamed) {
      response.set_content(scripted.body, scripted.content_type);
      return;
    }
    response.set_chunked_content_provider(
        scripted.content_type, [this, events = scripted.events, stall = scripted.stall_after,
                                interval = scripted.comment_interval](size_t, httplib::DataSink& sink) {
          for (const auto& event : events) {
            if (event.delay.count() > 0 && !pause(event.delay)) return false;
            std::string frame = event.raw ? event.payload : "data: " + event.payload + "\n\n";
            if (!sink.write(frame.data(), frame.size())) return false;
          }
          if (interval.count() > 0) {
            const std::string comment = ": ping\n\n";
            while (sink.write(comment.data(), comment.size()))
              if (!pause(interval)) return false;
            return false;
          }
          if (stall.count() > 0) {
            begin_stall();
            if (!pause(stall)) return false;
          }
          sink.done();
          return true;
        });
  }
};

FakeUpstream::FakeUpstream() : state_(std::make_unique<State>()) {
  State* state = state_.get();
  state->server.Post("/v1/chat/completions",
                     [state](const httplib::Request& request, httplib::Response& response) {
                       size_t serial = state->record(request);
                       state->answer(state->next_response(request, serial), response);
                     });
  state->server.Get(
      "/v1/models", [state](const httplib::Request& request, httplib::Response& response) {
        state->record(request);
        json data = json::array();
        {
          std::lock_guard lock(state->mutex);
          for (const auto& id : state->models)
            data.push_back(
                {{"id", id}, {"object", "model"}, {"created", 1700000000}, {"owned_by", "fake"}});
        }
        response.set_content(json{{"object", "list"}, {"data", data}}.dump(), "application/json");
      });
  // Not recorded: only the constructor's readiness probe asks for it.
  state->server.Get(kReadinessPath, [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ready", "text/plain");
  });
  auto not_found = [state](const httplib::Request& request, httplib::Response& response) {
    state->record(request);
    response.status = 404;
    response.set_content(
        openai_error("no route " + request.method + " " + request.path, "invalid_request_error")
            .dump(),
        "application/json");
  };
  state->server.Get(".*", [state, not_found](const httplib::Request& request, httplib::Response& response) {
    // A fixed answer for the exact target (path and query) wins over the path's.
    auto body = state->fixed_get(request.target);
    if (!body) body = state->fixed_get(request.path);
    if (body) {
      state->record(request);
      response.set_content(body->dump(), "application/json");
      return;
    }
    not_found(request, response);
  });
  state->server.Post(".*", [state, not_found](const httplib::Request& request, httplib::Response& response) {
    if (!state->answers_post(request.path)) return not_found(request, response);
    size_t serial = state->record(request);
    state->answer(state->next_response(request, serial), response);
  });

  // One request per connection: an idle keep-alive connection would hold a
  // server thread, and stop() waits for it until the keep-alive timeout (5 s).
  state->server.set_keep_alive_max_count(1);
  // Each write (a response head, a stream's event) goes out at once, as a
  // real upstream's would: Nagle would hold it for the client's delayed ACK.
  state->server.set_tcp_nodelay(true);
  state->port = state->server.bind_to_any_port("127.0.0.1");
  if (state->port <= 0) throw std::runtime_error("fake upstream: could not bind 127.0.0.1");
  state->listener = std::thread([state] { state->server.listen_after_bind(); });
  // stop() before the accept loop runs would be lost and the join would hang.
  // The socket already listens, so a request waits in its backlog until the
  // loop accepts it: an answer proves the loop is running.
  httplib::Client probe("127.0.0.1", state->port);
  if (!probe.Get(kReadinessPath)) throw std::runtime_error("fake upstream: its server loop did not answer");
}

FakeUpstream::~FakeUpstream() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  state_->server.stop();
  state_->listener.join();
}

int FakeUpstream::port() const { return state_->port; }

std::string FakeUpstream::base_url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/v1";
}

std::string FakeUpstream::root_url() const { return "http://127.0.0.1:" + std::to_string(state_->port); }

void FakeUpstream::answer_posts_matching(const std::string& path_pattern) {
  std::lock_guard lock(state_->mutex);
  state_->scripted_post_paths.emplace_back(path_pattern, std::regex::ECMAScript);
}

void FakeUpstream::answer_get(const std::string& path, json body) {
  std::lock_guard lock(state_->mutex);
  state_->fixed_gets[path] = std::move(body);
}

void FakeUpstream::enqueue(ScriptedResponse response) {
  std::lock_guard lock(state_->mutex);
  state_->script.push_back(std::move(response));
}

void FakeUpstream::set_default(ScriptedResponse response) {
  std::lock_guard lock(state_->mutex);
  state_->default_response = std::move(response);
}

void FakeUpstream::set_responder(Responder responder) {
  std::lock_guard lock(state_->mutex);
  state_->responder = std::move(responder);
}

void FakeUpstream::set_models(std::vector<std::string> model_ids) {
  std::lock_guard lock(state_->mutex);
  state_->models = std::move(model_ids);
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

bool FakeUpstream::wait_for_requests(size_t count, std::chrono::milliseconds timeout) const {
  return state_->wait_until(timeout, [this, count] { return state_->requests.size() >= count; });
}

bool FakeUpstream::wait_for_stalls(size_t count, std::chrono::milliseconds timeout) const {
  return state_->wait_until(timeout, [this, count] { return state_->stalls_begun >= count; });
}

size_t FakeUpstream::request_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests.size();
}

}  // namespace weir::testing
