#include "core/engine/session_turn.hpp"

namespace weir {

nlohmann::json finished_turn(const nlohmann::json& user_message, const Completion& answer) {
  return nlohmann::json::array({user_message, answer.assistant_message()});
}

nlohmann::json failed_turn(const nlohmann::json& user_message, const std::string& received, ErrorKind failure) {
  if (failure != ErrorKind::interrupted || received.empty()) return nlohmann::json::array();
  return nlohmann::json::array({user_message, {{"role", "assistant"}, {"content", received}}});
}

}  // namespace weir
