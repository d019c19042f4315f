// Session turn — what a saved conversation keeps after one turn.
//
// One rule for every front door that keeps a conversation (`chat --session`,
// the REPL, web chat sessions):
// - a finished turn keeps the user's message and the assistant's answer
//   (with its tool calls, when the turn ended in the client's tools);
// - an interrupted turn keeps the user's message and what had arrived of the
//   answer, so a stopped answer can be continued; nothing at all when nothing
//   had arrived;
// - a failed turn keeps nothing: the conversation is as it was before, and
//   sending the message again is a clean retry.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/provider/chat.hpp"

namespace weir {

// The messages to append after a finished turn.
nlohmann::json finished_turn(const nlohmann::json& user_message, const Completion& answer);

// The messages to append after a turn that ended in `failure`; `received` is
// the answer text that had reached the user.
nlohmann::json failed_turn(const nlohmann::json& user_message, const std::string& received, ErrorKind failure);

}  // namespace weir
