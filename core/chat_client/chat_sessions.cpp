#include "core/chat_client/chat_sessions.hpp"

#include <algorithm>

#include "core/crypto.hpp"
#include "core/engine/retrieval_strategy.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/policy/key_caller.hpp"
#include "core/store/chat_client_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/key_repository.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxExtraContext = 64 * 1024;
constexpr size_t kMaxTag = 200;
constexpr size_t kMaxMessage = 32 * 1024;
constexpr int64_t kHour = 3600LL * 1000;
// Ended sessions are kept this long, so their links say "expired" instead of "unknown".
constexpr int64_t kEndedSessionsKept = 7LL * 24 * kHour;

int64_t checked_lifetime(int64_t lifetime, const std::string& as_given) {
  if (lifetime < kMinimumSessionLifetime || lifetime > kMaximumSessionLifetime)
    throw Error(ErrorKind::usage, "expires must be between 10 minutes and 90 days (10m..90d), got " + as_given);
  return lifetime;
}

std::string messages_text(int count) { return std::to_string(count) + (count == 1 ? " message" : " messages"); }

std::string minutes_text(int64_t milliseconds) {
  auto minutes = std::max<int64_t>(1, (milliseconds + 59'999) / 60'000);
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

}  // namespace

int64_t session_lifetime(const std::string& text) { return checked_lifetime(parse_duration_milliseconds(text), text); }

SessionRequest session_request_from_json(const json& body) {
  SessionRequest request;
  if (!body.is_object()) throw Error(ErrorKind::usage, "a session request is a JSON object: {expires?, extra_context?, tag?}");
  if (auto expires = body.find("expires"); expires != body.end() && !expires->is_null()) {
    if (expires->is_number_integer()) {
      // Clamped before the multiplication: a huge number must be refused, not overflow into range.
      auto seconds = expires->is_number_unsigned() && expires->get<uint64_t>() > uint64_t{1} << 40
                         ? int64_t{1} << 40
                         : std::clamp<int64_t>(expires->get<int64_t>(), -1, int64_t{1} << 40);
      request.lifetime = checked_lifetime(seconds * 1000, expires->dump() + " seconds");
    } else if (expires->is_string()) {
      request.lifetime = session_lifetime(expires->get<std::string>());
    } else {
      throw Error(ErrorKind::usage, "\"expires\" must be seconds (a whole number) or a duration such as \"30m\", \"12h\", \"7d\"");
    }
  }
  if (auto context = body.find("extra_context"); context != body.end() && !context->is_null()) {
    if (!context->is_string()) throw Error(ErrorKind::usage, "\"extra_context\" must be a string (Markdown for the model)");
    request.extra_context = context->get<std::string>();
    if (request.extra_context->size() > kMaxExtraContext)
      throw Error(ErrorKind::usage, "\"extra_context\" must be at most 64 KiB");
  }
  if (auto tag = body.find("tag"); tag != body.end() && !tag->is_null()) {
    if (!tag->is_string() || tag->get<std::string>().empty() || tag->get<std::string>().size() > kMaxTag)
      throw Error(ErrorKind::usage, "\"tag\" must be a non-empty string of at most 200 bytes (a stable id of the end user)");
    request.tag = tag->get<std::string>();
  }
  for (const auto& [key, value] : body.items())
    if (key != "expires" && key != "extra_context" && key != "tag")
      throw Error(ErrorKind::usage, "unknown field \"" + key + "\"; a session takes expires, extra_context and tag");
  return request;
}

OpenedSession open_session(Database& database, const std::string& client_name, const SessionRequest& request,
                           const std::string& opened_by_key, int64_t now) {
  OpenedSession opened;
  database.transaction([&] {
    ChatClientRepository(database).get(client_name);  // Error(not_found) for an unknown client
    ChatSessionRepository sessions(database);
    sessions.remove_ended(now - kEndedSessionsKept);
    std::optional<ChatSession> live;
    if (!request.tag.empty()) live = sessions.live_with_tag(client_name, request.tag, opened_by_key, now);
    auto& session = opened.session;
    if (live) {
      session = *live;
      opened.reused = true;
      if (request.extra_context) session.extra_context = *request.extra_context;
      if (request.lifetime) {
        session.lifetime = *request.lifetime;
        session.expires_at = now + *request.lifetime;
      }
      sessions.update(session);
    } else {
      session.id = "cs_" + random_token(16);
      session.client = client_name;
      session.tag = request.tag;
      session.extra_context = request.extra_context.value_or("");
      session.opened_by_key = opened_by_key;
      session.lifetime = request.lifetime.value_or(kDefaultSessionLifetime);
      session.expires_at = now + session.lifetime;
      session.created_at = now;
      sessions.create(session);
    }
    opened.access_key = "weir_ck_" + random_token(32);
    sessions.add_key(session.id, sha256_hex(opened.access_key));
  });
  return opened;
}

std::string talk_path(const OpenedSession& opened) { return "/chat/" + opened.session.id + "#key=" + opened.access_key; }

SessionGrant authorize_session(Database& database, const std::string& session_id, const std::string& access_key,
                               int64_t now) {
  std::optional<ChatSession> session;
  if (access_key.rfind("weir_ck_", 0) == 0) session = ChatSessionRepository(database).by_key(sha256_hex(access_key));
  if (!session || session->id != session_id)
    throw Error(ErrorKind::authentication,
                "this chat link is not valid: its access key does not open this session; ask for a new link",
                "invalid_session_key");
  SessionGrant grant{*session, ChatClientRepository(database).get(session->client), {}};
  // The key first: revoking it also ends the session, and this says why.
  if (session->opened_by_key.empty())
    grant.caller = Caller("chat-client:" + grant.client.name, false);
  else
    grant.caller = caller_of_key(database, session->opened_by_key, "opened this chat session", "ask for a new link", now);
  if (session->expires_at <= now)
    throw Error(ErrorKind::authentication, "this chat session has expired; ask for a new link", "session_expired");
  return grant;
}

void admit_prompt(Database& database, SessionGrant& grant, int64_t now) {
  ChatSessionRepository sessions(database);
  const auto& settings = grant.client.settings;
  const auto& id = grant.session.id;
  database.transaction([&] {
    if (settings.max_messages && sessions.total_sends(id) >= *settings.max_messages)
      throw Error(ErrorKind::rate_limited,
                  "This chat session has reached its limit of " + messages_text(*settings.max_messages) +
                      ". Ask for a new link to go on.",
                  "session_message_limit");
    if (settings.messages_per_hour && sessions.sends_since(id, now - kHour + 1) >= *settings.messages_per_hour) {
      auto first = sessions.first_send_since(id, now - kHour + 1).value_or(now);
      auto wait = first + kHour - now;
      Error limited(ErrorKind::rate_limited,
                    "This chat allows " + messages_text(*settings.messages_per_hour) +
                        " per hour. You can send the next one in " + minutes_text(wait) + ".",
                    "session_hourly_limit");
      limited.set_retry_after_seconds(static_cast<int>(std::max<int64_t>(1, (wait + 999) / 1000)));
      throw limited;
    }
    sessions.record_send(id, now);
    if (grant.session.expires_at - now < grant.session.lifetime / 2) {
      grant.session.expires_at = now + grant.session.lifetime;
      sessions.set_expiry(id, grant.session.expires_at);
    }
  });
}

json user_message_from_text(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw Error(ErrorKind::usage, "the message is empty; type something to send");
  if (text.size() > kMaxMessage) throw Error(ErrorKind::too_large, "the message is too long: at most 32 KiB");
  return {{"role", "user"}, {"content", text}};
}

ChatInput prompt_input(const SessionGrant& grant, const json& history, const json& user_message) {
  ChatInput input;
  input.target = grant.client.gateway_id;
  input.front_door = "web";
  input.user = grant.session.tag;
  input.conversation = grant.session.id;
  input.caller = grant.caller;
  input.metadata = {{"chat_client", grant.client.name}, {"chat_session", grant.session.id}};
  if (!grant.session.extra_context.empty())
    input.messages.push_back({{"role", "system"}, {"content", grant.session.extra_context}});
  // The window starts at a user message: an assistant's tool calls are never
  // sent without the turn that asked for them.
  size_t first = history.size() > static_cast<size_t>(grant.client.settings.history)
                     ? history.size() - static_cast<size_t>(grant.client.settings.history)
                     : 0;
  while (first < history.size() && history[first].value("role", "") != "user") ++first;
  for (size_t index = first; index < history.size(); ++index) input.messages.push_back(history[index]);
  input.messages.push_back(user_message);
  return input;
}

json session_view(const SessionGrant& grant, const json& messages) {
  const auto& settings = grant.client.settings;
  json shown = json::array();
  for (const auto& message : messages) {
    auto role = message.value("role", "");
    if (role != "user" && role != "assistant") continue;
    auto text = message_text(message);
    if (text.empty()) continue;
    shown.push_back({{"role", role}, {"content", text}});
  }
  return {{"client",
           {{"name", grant.client.name},
            {"title", grant.client.display_title()},
            {"subtitle", settings.subtitle},
            {"color", settings.color},
            {"placeholder", settings.placeholder},
            {"suggestions", settings.suggestions},
            {"show_tools", settings.show_tools},
            {"show_sources", settings.show_sources}}},
          {"session", {{"id", grant.session.id}, {"expires_at", grant.session.expires_at}}},
          {"messages", shown}};
}

std::string transcript_markdown(const SessionGrant& grant, const json& messages) {
  std::string text = "# " + grant.client.display_title() + "\n\nSession " + grant.session.id + ", " +
                     format_timestamp(grant.session.created_at) + "\n";
  const auto view = session_view(grant, messages);
  for (const auto& message : view["messages"]) {
    text += message["role"] == "user" ? "\n## You\n\n" : "\n## Assistant\n\n";
    text += message["content"].get<std::string>() + "\n";
  }
  return text;
}

}  // namespace weir
