// The conversation a request log row keeps, so `weir logs show` and `weir logs
// export` can say what was asked and answered (a gateway's `log_messages`,
// on by default; false keeps only the row's metadata).
//
// What is kept is what the caller exchanged, with what the guardrails hid
// still hidden: the caller's messages as they went upstream (input masks
// applied), the answer as the caller saw it with masked input masked again,
// the answer's client tool calls and the server-side functions it ran.
//
// Bounded, so a log row stays a log row: inline data (an image or a file sent
// as a data: URL) is replaced by a note of its size, a string over
// kMaxStringBytes is cut visibly, and past kMaxBytes the oldest messages are
// left out and counted ("omitted_messages").
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "core/provider/chat.hpp"

namespace weir {

class GuardrailRun;

inline constexpr size_t kConversationMaxStringBytes = 64 * 1024;
inline constexpr size_t kConversationMaxBytes = 1024 * 1024;

// `messages`: the caller's; `functions`: the server-side calls' to_json();
// `guardrails`: the request's run (its placeholders), or null.
nlohmann::json conversation_for_log(const nlohmann::json& messages, const Completion& answer,
                                    const nlohmann::json& functions, const GuardrailRun* guardrails);

}  // namespace weir
