// Context budget — keeps a conversation inside a gateway's max_context_tokens.
//
// Tokens are estimated, not counted: about four bytes of text per token plus a
// small overhead per message, which is close for English and errs long for
// code and for scripts with multi-byte characters. With on_overflow = "error"
// an oversize conversation is an Error(usage, "context_length_exceeded"); with
// "truncate" the oldest non-system messages are dropped until it fits, always
// keeping the system messages, the last user message and a trailing prefill.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace weir {

long long estimate_tokens(const nlohmann::json& messages);

// `budget` is the number of prompt tokens allowed. Returns how many messages
// were dropped.
int fit_context(nlohmann::json& messages, long long budget, const std::string& on_overflow);

}  // namespace weir
