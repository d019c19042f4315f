// Chat start — which conversation and which gateway a `weir chat` run begins
// with, from its words and options, the saved sessions and the user's
// default-gateway (core/config/user_config.hpp).
//
// The conversation (choose_chat_session):
// - `--session NAME` continues (or starts) that session; it may continue
//   `last` but not start it (check_new_session_name);
// - `-c/--continue` continues the session used most recently (named or not);
//   none yet is Error(not_found); with --session too, Error(usage);
// - otherwise the chat is kept as the session named kLastSession ("last"),
//   which the run's first kept turn replaces: `-c` then continues it, and
//   `weir sessions rename last NAME` keeps it for good.
// The target (choose_chat_target), first that applies:
// 1. `-m/--model TARGET`: every word is the message;
// 2. the first word, when it starts with '@' or names an existing gateway
//    (name, slug or id): the other words are the message;
// 3. the target the continued session was last used with;
// 4. default-gateway; it must exist (Error(not_found) naming `weir config`);
// else Error(not_found) for an unknown first word (with suggestions and the
// default-gateway hint), or Error(usage) when there is no word at all.
#pragma once

#include <string>
#include <vector>

namespace weir {

class GatewayRepository;
class SessionRepository;

inline constexpr const char* kLastSession = "last";

// Error(usage) when `name` is kLastSession: that name is kept for the
// latest chat without --session, which replaces it, so a session the user
// starts, saves or renames to it would be lost. Continuing `last` is fine.
void check_new_session_name(const std::string& name);

struct ChatSessionChoice {
  std::string name;                  // the session the turns are kept in
  bool replace_on_first_turn = false;  // kLastSession for a new unnamed chat
  bool continued = false;            // an existing conversation is continued
  std::string target;                // the target it was last used with ("" for a new one)
};

ChatSessionChoice choose_chat_session(SessionRepository& sessions, const std::string& session_option,
                                      bool continue_last);

struct ChatTargetRequest {
  std::string model;               // -m/--model ("" when not given)
  std::vector<std::string> words;  // the positional words, in order
  std::string session_target;      // ChatSessionChoice::target when continued
  std::string default_gateway;     // the config's default-gateway ("" when unset)
};

struct ChatTargetChoice {
  std::string target;
  std::vector<std::string> message_words;
};

ChatTargetChoice choose_chat_target(GatewayRepository& gateways, const ChatTargetRequest& request);

// Error(not_found) unless `target` is @provider/model or names an existing
// gateway: a default-gateway must name something, when set and when used.
void check_default_gateway(GatewayRepository& gateways, const std::string& target);

}  // namespace weir
