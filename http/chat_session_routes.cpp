// Web chat over HTTP (DESIGN.md "HTTP"; rules in core/chat_client):
//   POST   /v1/chat-clients/{name}/sessions   open a session (an API key when keys exist)
//                                            -> {session_id, access_key, talk_url, expires_at, reused}
// and, opened by the session's access key (`Authorization: Bearer weir_ck_...`):
//   GET    /v1/chat-sessions/{id}             what the page shows: client settings and the conversation
//   POST   /v1/chat-sessions/{id}/messages    {content} -> the answer as SSE events
//   POST   /v1/chat-sessions/{id}/retry       {content?, user_messages?} the last prompt again, its answer
//                                            replaced; `content` is the prompt the page shows last and
//                                            `user_messages` how many it shows: when the store does not
//                                            hold that prompt (its answer failed), it is sent anew
//   DELETE /v1/chat-sessions/{id}/messages    forget the conversation
//   GET    /v1/chat-sessions/{id}/transcript  the conversation as Markdown, for download
// The page's SSE events are JSON objects by `type`: "delta" {content},
// "tool" {name, state} (when the client shows tools), "done" {finish_reason,
// sources?, expires_at}, "error" {message} once the answer had begun. A
// refusal before the answer (a limit, an expired session) is a plain error
// object with its status, which the page shows as a message.
#include <nlohmann/json.hpp>

#include "core/chat_client/chat_sessions.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/retrieval_strategy.hpp"
#include "core/engine/session_turn.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/net/error_body.hpp"
#include "core/net/sse_stream.hpp"
#include "core/rag/shared_searcher.hpp"
#include "core/store/database.hpp"
#include "http/api_routes.hpp"

namespace weir::http {

namespace {

using json = nlohmann::json;

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// The answers of session routes are one person's conversation: never cached.
const HeaderList kPrivate = {{"Cache-Control", "no-store"}};

std::string access_key(const Request& request) {
  auto authorization = request.header_or("authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() || authorization.compare(0, scheme.size(), scheme) != 0) return {};
  return authorization.substr(scheme.size());
}

// "/v1/chat-sessions/ID/REST" -> {ID, "/REST"}
std::pair<std::string, std::string> session_path(const std::string& path) {
  std::string rest = path.substr(std::string_view("/v1/chat-sessions/").size());
  auto slash = rest.find('/');
  if (slash == std::string::npos) return {rest, ""};
  return {rest.substr(0, slash), rest.substr(slash)};
}

Error no_such_route(const Request& request) {
  return Error(ErrorKind::not_found, "no such chat session route: " + request.method + " " + request.path);
}

void open_session_route(const Request& request, ResponseWriter& response, ApiContext& context) {
  constexpr std::string_view prefix = "/v1/chat-clients/";
  constexpr std::string_view suffix = "/sessions";
  const auto& path = request.path;
  if (path.size() <= prefix.size() + suffix.size() || path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
    throw no_such_route(request);
  auto name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (request.caller.public_key)
    throw Error(ErrorKind::permission, "a public API key cannot open chat sessions; use a private key (`weir key create NAME`)");
  auto body = request.body.empty() ? json::object() : parse_json_body(request);
  auto session_request = session_request_from_json(body);
  auto database = context.pool.acquire();
  auto opened = open_session(*database, name, session_request, request.caller.key_id, now_milliseconds());
  auto host = request.header_or("host", "127.0.0.1");
  response.send(201, "application/json",
                dump({{"session_id", opened.session.id},
                      {"access_key", opened.access_key},
                      {"talk_url", "http://" + host + talk_path(opened)},
                      {"expires_at", opened.session.expires_at},
                      {"reused", opened.reused}}),
                kPrivate);
}

// One prompt's answer as the page's SSE events; the turn is kept as
// session_turn.hpp says.
// `replaced`: for a retry, the turn it took out, put back if the new answer
// fails, so a retry never loses the conversation.
void answer(const Request& request, ResponseWriter& response, ApiContext& context, Database& database,
            SessionGrant& grant, const json& user_message, const json& replaced = json::array()) {
  ChatSessionRepository sessions(database);
  auto input = prompt_input(grant, sessions.messages(grant.session.id), user_message);
  input.caller.remote_address = request.remote_address;
  CancelToken cancel;
  response.on_disconnect([cancel] { cancel.cancel(); });
  EngineOptions options;
  options.shared_searcher = &context.searcher->searcher();
  options.log_writer = &context.log_writer;
  options.metrics = &context.metrics;
  options.resolved_targets = &context.resolved_targets;
  Engine engine(database, context.pool.paths(), options);

  SseStream stream(response);
  stream.set_headers(kPrivate);
  auto pings = context.keep_alive.add(stream);
  const bool show_tools = grant.client.settings.show_tools;
  std::string received;
  ChatResult result;
  try {
    result = engine.run(
        std::move(input),
        [&](const StreamDelta& delta) {
          if (delta.server_tool && show_tools)
            stream.event(dump({{"type", "tool"}, {"name", delta.server_tool->name}, {"state", delta.server_tool->state}}));
          if (!delta.content.empty()) {
            received += delta.content;
            stream.event(dump({{"type", "delta"}, {"content", delta.content}}));
          }
        },
        cancel);
  } catch (const Error& error) {
    pings.reset();
    sessions.append(grant.session.id,
                    replaced.empty() ? failed_turn(user_message, received, error.kind()) : replaced,
                    now_milliseconds());
    if (!stream.begun()) throw;
    if (error.kind() != ErrorKind::interrupted) stream.event(dump({{"type", "error"}, {"message", error.what()}}));
    return;
  } catch (...) {
    // Not a weir::Error (a bug): the turn a retry took out still goes back.
    if (!replaced.empty()) sessions.append(grant.session.id, replaced, now_milliseconds());
    throw;
  }
  pings.reset();
  sessions.append(grant.session.id, finished_turn(user_message, result.completion), now_milliseconds());
  json done = {{"type", "done"}, {"finish_reason", result.completion.finish_reason}, {"expires_at", grant.session.expires_at}};
  if (grant.client.settings.show_sources) {
    const auto& generation = result.response["generation_context"];
    if (generation.contains("retrieval")) done["sources"] = generation["retrieval"]["documents"];
  }
  stream.event(dump(done));
}

void session_route(const Request& request, ResponseWriter& response, ApiContext& context) {
  auto [id, rest] = session_path(request.path);
  auto database = context.pool.acquire();
  auto now = now_milliseconds();
  auto grant = authorize_session(*database, id, access_key(request), now);
  ChatSessionRepository sessions(*database);
  const auto& method = request.method;
  if ((method == "GET" || method == "HEAD") && rest.empty()) {
    response.send(200, "application/json", dump(session_view(grant, sessions.messages(id))), kPrivate);
  } else if (method == "GET" && rest == "/transcript") {
    HeaderList headers = kPrivate;
    headers.emplace_back("Content-Disposition", "attachment; filename=\"chat-" + id + ".md\"");
    response.send(200, "text/markdown; charset=utf-8", transcript_markdown(grant, sessions.messages(id)), headers);
  } else if (method == "DELETE" && rest == "/messages") {
    auto answering = context.chat_answers.begin(id);
    sessions.clear(id);
    response.send(200, "application/json", dump({{"cleared", true}}), kPrivate);
  } else if (method == "POST" && rest == "/messages") {
    auto body = parse_json_body(request);
    auto content = body.find("content");
    if (content == body.end() || !content->is_string())
      throw Error(ErrorKind::usage, "send {\"content\": \"your message\"}");
    auto message = user_message_from_text(content->get<std::string>());
    auto answering = context.chat_answers.begin(id);
    admit_prompt(*database, grant, now);
    answer(request, response, context, *database, grant, message);
  } else if (method == "POST" && rest == "/retry") {
    auto body = request.body.empty() ? json::object() : parse_json_body(request);
    auto shown = body.find("content");
    if (shown != body.end() && !shown->is_string())
      throw Error(ErrorKind::usage, "\"content\" must be the text of the prompt to retry");
    auto shown_count = body.find("user_messages");
    if (shown_count != body.end() && !shown_count->is_number_unsigned())
      throw Error(ErrorKind::usage, "\"user_messages\" must be how many prompts the page shows, a whole number");
    auto answering = context.chat_answers.begin(id);
    auto messages = sessions.messages(id);
    const json* stored = nullptr;
    uint64_t stored_count = 0;
    for (const auto& message : messages)
      if (message.value("role", "") == "user") stored = &message, ++stored_count;
    // The page's last prompt is not the stored one when its answer failed (a
    // failed turn keeps nothing): that prompt is sent anew. The page says how
    // many prompts it shows, so a repeated prompt ("yes") is not mistaken
    // for the stored one before it.
    bool page_is_ahead = shown != body.end() &&
                         (!stored || message_text(*stored) != shown->get<std::string>() ||
                          (shown_count != body.end() && shown_count->get<uint64_t>() != stored_count));
    if (page_is_ahead) {
      auto message = user_message_from_text(shown->get<std::string>());
      admit_prompt(*database, grant, now);
      answer(request, response, context, *database, grant, message);
      return;
    }
    if (!stored) throw Error(ErrorKind::usage, "there is no message to retry yet");
    admit_prompt(*database, grant, now);
    auto last = sessions.take_last_turn(id);
    if (last.empty()) throw Error(ErrorKind::usage, "there is no message to retry yet");
    answer(request, response, context, *database, grant, last[0], last);
  } else {
    throw no_such_route(request);
  }
}

}  // namespace

void mount_chat_session_routes(Server& server, ApiContext& context) {
  server.route("POST", "/v1/chat-clients/*",
               [&context](const Request& request, ResponseWriter& response) { open_session_route(request, response, context); });
  for (const char* method : {"GET", "POST", "DELETE"})
    server.route(method, "/v1/chat-sessions/*",
                 [&context](const Request& request, ResponseWriter& response) { session_route(request, response, context); });
}

}  // namespace weir::http
