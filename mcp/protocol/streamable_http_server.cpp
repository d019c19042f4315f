#include "mcp/protocol/streamable_http_server.hpp"

#include <algorithm>
#include <cctype>

#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/request_stream.hpp"
#include "mcp/protocol/versions.hpp"

namespace weir::mcp::protocol {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kEventStream = "text/event-stream";
// The JSON-RPC code the reference SDKs use for transport-level refusals.
constexpr int kTransportError = -32000;
constexpr auto kListenerKeepAlive = std::chrono::seconds(15);

std::string lower_case(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char character) { return static_cast<char>(std::tolower(character)); });
  return lower;
}

// Whether an Accept header allows `type` ("major/minor"): named, or through
// "major/*" or "*/*". No Accept header allows anything.
bool accepts(const std::string* accept, std::string_view type) {
  if (!accept) return true;
  auto header = lower_case(*accept);
  auto major = std::string(type.substr(0, type.find('/'))) + "/*";
  return header.find(type) != std::string::npos || header.find(major) != std::string::npos ||
         header.find("*/*") != std::string::npos;
}

std::string dump(const json& message) { return message.dump(-1, ' ', false, json::error_handler_t::replace); }

void refuse(HttpResponder& responder, int status, const std::string& message, int code = kTransportError,
            const HttpHeaders& headers = {}) {
  responder.send(status, kJson, dump(make_error(nullptr, code, message)), headers);
}

std::string sse_event(const json& message) { return "event: message\ndata: " + dump(message) + "\n\n"; }

bool is_response(const json& message) {
  return message.is_object() && !message.contains("method") && (message.contains("result") || message.contains("error"));
}

bool supported_version(std::string_view version) {
  return std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version) != kSupportedVersions.end();
}

std::string supported_list() {
  std::string list;
  for (auto version : kSupportedVersions) list += (list.empty() ? "" : ", ") + std::string(version);
  return list;
}

}  // namespace

StreamableHttpServer::StreamableHttpServer(ServerInfo info, StreamableHttpOptions options)
    : info_(std::move(info)), options_(options), sessions_(options.sessions) {}

StreamableHttpServer::~StreamableHttpServer() { shutdown(std::nullopt); }

bool StreamableHttpServer::shutdown(std::optional<std::chrono::milliseconds> wait) {
  stopping_ = true;
  sessions_.clear();
  return calls_->wait_idle(wait);
}

void StreamableHttpServer::handle(const HttpRequestView& request, HttpResponder& responder,
                                  const SessionFactory& factory) {
  if (stopping_) return refuse(responder, 503, "Service Unavailable: the server is shutting down");
  if (request.method == "POST") return post(request, responder, factory);
  if (request.method == "DELETE") return remove(request, responder);
  if (request.method == "GET") return listen(request, responder);
  refuse(responder, 405, "Method Not Allowed: POST a JSON-RPC message, GET to listen, or DELETE to end the session",
         kTransportError, {{"Allow", "GET, POST, DELETE"}});
}

void StreamableHttpServer::listen(const HttpRequestView& request, HttpResponder& responder) {
  if (!accepts(request.header("accept"), kEventStream))
    return refuse(responder, 406, "Not Acceptable: a GET stream is text/event-stream; accept it to listen");
  if (auto version = request.header("mcp-protocol-version"); version && !supported_version(*version))
    return refuse(responder, 400,
                  "Bad Request: unsupported MCP-Protocol-Version '" + *version + "'; supported: " + supported_list());
  auto id = request.header("mcp-session-id");
  if (!id) return refuse(responder, 400, "Bad Request: the Mcp-Session-Id header is required (initialize first)");
  // Held while the client listens: a session someone listens to is not idle.
  auto lease = sessions_.acquire(*id, request.owner);
  if (!lease)
    return refuse(responder, 404, "Not Found: no session " + *id + " (it has ended or expired); initialize again");
  // The spec's way of saying "nothing will ever come": the client stops asking.
  if (!(*lease)->sends_notifications())
    return refuse(responder, 405,
                  "Method Not Allowed: this session's tools never change, so the server sends nothing outside a "
                  "call; POST a JSON-RPC message, or DELETE to end the session",
                  kTransportError, {{"Allow", "POST, DELETE"}});
  // Counted before anything else can fail, so every way out gives it back.
  struct Listener {
    std::atomic<size_t>& open;
    bool counted;
    ~Listener() {
      if (counted) --open;
    }
  } listener{listeners_, ++listeners_ <= options_.max_listeners};
  if (!listener.counted) {
    --listeners_;
    return refuse(responder, 405,
                  "Method Not Allowed: " + std::to_string(options_.max_listeners) +
                      " GET streams are open, as many as this server keeps; go on without one (answers still come "
                      "on each POST)",
                  kTransportError, {{"Allow", "POST, DELETE"}});
  }
  auto stream = std::make_shared<RequestStream>();
  if (!(*lease)->attach_notifications(stream))
    return refuse(responder, 409,
                  "Conflict: session " + *id + " already has a GET stream open (or has just ended); listen on that one");
  struct Detach {
    Session& session;
    std::shared_ptr<Outbox> stream;
    ~Detach() { session.detach_notifications(stream); }
  } detach{**lease, stream};
  responder.on_end([stream] { stream->abandon(); });

  responder.begin_stream(200, kEventStream, {{"Cache-Control", "no-cache"}});
  // Always a keep-alive on a stream that may stay quiet for hours: a client
  // gone without a word is found by the write that fails, and its worker freed.
  auto keep_alive = options_.keep_alive > std::chrono::milliseconds(0) ? options_.keep_alive : kListenerKeepAlive;
  for (bool open = true; open;) {
    auto event = stream->next(keep_alive);
    switch (event.kind) {
      case RequestStream::Event::Kind::message:
        open = responder.write(sse_event(event.message));
        break;
      case RequestStream::Event::Kind::idle:
        open = responder.write(": keep-alive\n\n");
        break;
      case RequestStream::Event::Kind::closed:     // the session ended (DELETE, expiry, shutdown)
      case RequestStream::Event::Kind::abandoned:  // the client hung up, or the server is stopping
        open = false;
        break;
    }
  }
  responder.finish();
}

void StreamableHttpServer::remove(const HttpRequestView& request, HttpResponder& responder) {
  auto id = request.header("mcp-session-id");
  if (!id) return refuse(responder, 400, "Bad Request: send the Mcp-Session-Id header of the session to end");
  if (!sessions_.remove(*id, request.owner))
    return refuse(responder, 404, "Not Found: no session " + *id + " (it has ended or expired)");
  responder.send(200, "text/plain", "");
}

void StreamableHttpServer::post(const HttpRequestView& request, HttpResponder& responder,
                                const SessionFactory& factory) {
  auto accept = request.header("accept");
  bool json_ok = accepts(accept, kJson);
  bool stream_ok = accepts(accept, kEventStream);
  if (!json_ok && !stream_ok)
    return refuse(responder, 406, "Not Acceptable: the client must accept application/json and text/event-stream");
  auto content_type = request.header("content-type");
  if (content_type && lower_case(*content_type).rfind(kJson, 0) != 0)
    return refuse(responder, 415, "Unsupported Media Type: the body must be application/json");
  if (auto version = request.header("mcp-protocol-version"); version && !supported_version(*version))
    return refuse(responder, 400,
                  "Bad Request: unsupported MCP-Protocol-Version '" + *version + "'; supported: " + supported_list());

  auto text = read_message_text(request.body);
  if (text.error_code != 0) return refuse(responder, 400, text.error_message, text.error_code);
  const json& message = text.value;
  if (message.is_array())
    return refuse(responder, 400, "Invalid Request: send one JSON-RPC message per POST (batches are not supported)",
                  error_code::invalid_request);
  auto incoming = classify(message);

  bool initializing = incoming.kind == MessageKind::request && incoming.method == "initialize";
  std::unique_ptr<SessionTable::Lease> lease;
  if (initializing) {
    auto setup = factory(request);  // may throw: nothing is answered yet
    SessionOptions session_options;
    session_options.max_calls_in_flight = options_.max_calls_in_flight;
    session_options.shared_counter = calls_;
    session_options.on_call_finished = std::move(setup.on_call_finished);
    lease = sessions_.add(std::make_shared<Session>(info_, std::move(setup.tools), session_options), request.owner);
    if (!lease)
      return refuse(responder, 503, "Service Unavailable: every MCP session is busy; try again in a moment");
  } else {
    auto id = request.header("mcp-session-id");
    if (!id) return refuse(responder, 400, "Bad Request: the Mcp-Session-Id header is required (initialize first)");
    lease = sessions_.acquire(*id, request.owner);
    if (!lease)
      return refuse(responder, 404, "Not Found: no session " + *id + " (it has ended or expired); initialize again");
  }

  auto stream = std::make_shared<RequestStream>();
  if (incoming.kind != MessageKind::request) {
    (*lease)->handle(incoming, stream);
    if (incoming.kind == MessageKind::invalid) {
      auto answer = stream->next(std::chrono::milliseconds(0));
      return responder.send(400, kJson, answer.kind == RequestStream::Event::Kind::message ? dump(answer.message) : "");
    }
    return responder.send(202, "text/plain", "");
  }

  // Once this POST is answered, a later hang-up of its connection must not
  // cancel a newer call that reuses the id.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  struct MarkAnswered {
    std::atomic<bool>& flag;
    ~MarkAnswered() { flag = true; }
  } mark_answered{*answered};
  std::weak_ptr<Session> session = lease->session();
  responder.on_end([stream, session, id = incoming.id, answered] {
    if (*answered) return;
    stream->abandon();
    if (auto live = session.lock()) live->cancel(id);
  });

  (*lease)->handle(incoming, stream);

  HttpHeaders headers;
  if (initializing) headers.emplace_back("Mcp-Session-Id", lease->id());
  bool streaming = false;
  auto begin_stream = [&] {
    auto stream_headers = headers;
    stream_headers.emplace_back("Cache-Control", "no-cache");
    responder.begin_stream(200, kEventStream, stream_headers);
    streaming = true;
  };
  auto keep_alive = options_.keep_alive > std::chrono::milliseconds(0) ? options_.keep_alive : std::chrono::hours(24 * 365);
  while (true) {
    auto event = stream->next(keep_alive);
    switch (event.kind) {
      case RequestStream::Event::Kind::message:
        if (is_response(event.message)) {
          if (initializing && event.message.contains("error")) {
            sessions_.remove(lease->id(), request.owner);  // a failed initialize keeps no session
            headers.clear();
          }
          if (!streaming && json_ok) return responder.send(200, kJson, dump(event.message), headers);
          if (!streaming) begin_stream();
          responder.write(sse_event(event.message));
          return responder.finish();
        }
        if (!stream_ok) continue;  // a client that takes JSON only cannot receive notifications
        if (!streaming) begin_stream();
        responder.write(sse_event(event.message));
        continue;
      case RequestStream::Event::Kind::idle:
        // A comment keeps proxies and clients from timing out a long call.
        if (!stream_ok) continue;
        if (!streaming) begin_stream();
        responder.write(": keep-alive\n\n");
        continue;
      case RequestStream::Event::Kind::closed:
        // Cancelled: the call ends without a response.
        if (!streaming && !stream_ok) return responder.send(202, "text/plain", "");
        if (!streaming) begin_stream();
        return responder.finish();
      case RequestStream::Event::Kind::abandoned: {
        // The client hung up (this goes nowhere) or the server is stopping.
        auto goodbye = make_error(incoming.id, kTransportError, "the server is shutting down; the call was cancelled");
        if (!streaming && json_ok) return responder.send(200, kJson, dump(goodbye));
        if (!streaming) begin_stream();
        responder.write(sse_event(goodbye));
        return responder.finish();
      }
    }
  }
}

}  // namespace weir::mcp::protocol
