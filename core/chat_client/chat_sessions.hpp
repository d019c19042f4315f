// Chat sessions — the rules of web chat sessions (DESIGN.md "HTTP"), for
// `weir serve`'s session routes and `weir chat-client session`.
//
// - open_session(): a session of a chat client lives `expires` (10 minutes
//   to 90 days, default 1 hour). It belongs to the API key that opened it
//   (none: the local user): its prompts run as that key, under the key's
//   limits and budget, and revoking or expiring the key ends it. A tag names
//   a stable end user: the live session with that tag opened by the same key
//   is reused (a new access key for it; `expires` and `extra_context`, when
//   given, replace the session's), and the tag is the `user` of its
//   requests, so per-user memory follows the person. `extra_context`
//   (Markdown, at most 64 KiB) is given to the model as a system message
//   before the conversation.
// - The access key ("weir_ck_" + 32 random bytes) is a capability for one
//   session: authorize() finds the session by the key's SHA-256 alone (the
//   key itself is never stored) and refuses it for any other session id,
//   with the same Error(authentication) as an unknown key, so a key says
//   nothing about other sessions. An expired session is refused
//   (code "session_expired").
// - admit_prompt() applies the chat client's limits before anything is
//   spent: Error(rate_limited) whose message is written for the end user
//   (the page shows it as is). An admitted prompt is counted, and a session
//   with less than half its lifetime left is extended to a full lifetime.
// - prompt_input() builds the engine's ChatInput: the gateway, the extra
//   context, the last `history` messages of the conversation (the client's
//   setting), the new message; the gateway's and the opening key's limits,
//   guardrails and budget then apply as for any request.
// - One answer at a time per session (session_answers.hpp).
// Times are unix milliseconds passed in, so tests decide the clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/chat_client/chat_client.hpp"
#include "core/engine/request_context.hpp"
#include "core/store/chat_session_repository.hpp"

namespace weir {

class Database;

constexpr int64_t kMinimumSessionLifetime = 10LL * 60 * 1000;
constexpr int64_t kMaximumSessionLifetime = 90LL * 24 * 3600 * 1000;
constexpr int64_t kDefaultSessionLifetime = 3600LL * 1000;

struct SessionRequest {
  std::optional<int64_t> lifetime;  // none: the default for a new session, unchanged for a reused one
  std::optional<std::string> extra_context;
  std::string tag;
};

// From `{expires?, extra_context?, tag?}`; `expires` is seconds (a number)
// or a duration text ("30m", "12h", "7d"). Error(usage) naming the field.
SessionRequest session_request_from_json(const nlohmann::json& body);
// `expires` text as the CLI takes it; Error(usage) outside 10 minutes..90 days.
int64_t session_lifetime(const std::string& text);

struct OpenedSession {
  ChatSession session;
  std::string access_key;  // shown once
  bool reused = false;     // the tag's live session
};

// `opened_by_key`: the id of the API key asking; "" : the local user.
OpenedSession open_session(Database& database, const std::string& client_name, const SessionRequest& request,
                           const std::string& opened_by_key, int64_t now);
// The page's path for a session: the key travels in the fragment, which
// browsers never send to a server nor in a Referer.
std::string talk_path(const OpenedSession& opened);

struct SessionGrant {
  ChatSession session;
  ChatClient client;
  Caller caller;  // who the prompts run as: the opening key, or the local user
};

SessionGrant authorize_session(Database& database, const std::string& session_id, const std::string& access_key,
                               int64_t now);
void admit_prompt(Database& database, SessionGrant& grant, int64_t now);
ChatInput prompt_input(const SessionGrant& grant, const nlohmann::json& history, const nlohmann::json& user_message);
// A user message from the page's text; Error(usage) when empty or over 32 KiB.
nlohmann::json user_message_from_text(const std::string& text);

// What the page shows: {client: {title, subtitle, color, placeholder,
// suggestions, show_tools, show_sources}, session: {id, expires_at},
// messages: [{role, content}]} (user and assistant text only).
nlohmann::json session_view(const SessionGrant& grant, const nlohmann::json& messages);
// The conversation as Markdown, for download.
std::string transcript_markdown(const SessionGrant& grant, const nlohmann::json& messages);

}  // namespace weir
