#include "core/engine/chat_start.hpp"

#include "core/error.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/session_repository.hpp"

namespace weir {

namespace {
constexpr const char* kDefaultHint = "`weir config set default-gateway NAME` sets the gateway to use when none is named";
}  // namespace

void check_default_gateway(GatewayRepository& gateways, const std::string& target) {
  if (!target.empty() && target.front() == '@') return;
  if (gateways.find(target)) return;
  std::string message = "the default-gateway '" + target + "' is not a gateway";
  try {
    gateways.resolve(target);
  } catch (const Error& error) {
    message = std::string(error.what()) + " (the default-gateway)";
  }
  throw Error(ErrorKind::not_found, message + "; " + kDefaultHint);
}

void check_new_session_name(const std::string& name) {
  if (name == kLastSession)
    throw Error(ErrorKind::usage, std::string("the session name '") + kLastSession +
                                      "' is kept for the latest chat without --session (each such chat replaces "
                                      "it): choose another name; `weir chat -c` continues the latest chat");
}

ChatSessionChoice choose_chat_session(SessionRepository& sessions, const std::string& session_option,
                                      bool continue_last) {
  ChatSessionChoice choice;
  if (continue_last) {
    if (!session_option.empty())
      throw Error(ErrorKind::usage, "-c continues the last conversation and --session " + session_option +
                                        " names one: give one of them");
    auto last = sessions.most_recent();
    if (!last)
      throw Error(ErrorKind::not_found,
                  "no conversation to continue yet: chat first (`weir chat GATEWAY \"hello\"`), then `weir chat -c`");
    choice.name = last->name;
    choice.continued = true;
    choice.target = last->target;
    return choice;
  }
  if (!session_option.empty()) {
    choice.name = session_option;
    if (auto existing = sessions.find(session_option)) {
      choice.continued = true;
      choice.target = existing->target;
    } else {
      check_new_session_name(session_option);
    }
    return choice;
  }
  choice.name = kLastSession;
  choice.replace_on_first_turn = true;
  return choice;
}

ChatTargetChoice choose_chat_target(GatewayRepository& gateways, const ChatTargetRequest& request) {
  ChatTargetChoice choice;
  const auto& words = request.words;
  if (!request.model.empty()) {
    choice.target = request.model;
    choice.message_words = words;
    return choice;
  }
  if (!words.empty() && !words.front().empty() && (words.front().front() == '@' || gateways.find(words.front()))) {
    choice.target = words.front();
    choice.message_words.assign(words.begin() + 1, words.end());
    return choice;
  }
  choice.message_words = words;
  if (!request.session_target.empty()) {
    choice.target = request.session_target;
    return choice;
  }
  if (!request.default_gateway.empty()) {
    check_default_gateway(gateways, request.default_gateway);
    choice.target = request.default_gateway;
    return choice;
  }
  if (words.empty())
    throw Error(ErrorKind::usage,
                "no gateway to chat with: name one (`weir chat GATEWAY [MESSAGE]`), or give a model "
                "(`weir chat -m @provider/model`); " + std::string(kDefaultHint));
  try {
    gateways.resolve(words.front());
  } catch (const Error& error) {
    throw Error(error.kind(), std::string(error.what()) + "; or, to send '" + words.front() +
                                  "' as the message, " + kDefaultHint);
  }
  choice.target = words.front();  // resolve() found it after all (made meanwhile)
  choice.message_words.assign(words.begin() + 1, words.end());
  return choice;
}

}  // namespace weir
