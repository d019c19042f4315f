// Anthropic request — a ChatRequest (OpenAI shape) as a Messages API body.
//
// Anthropic's POST /v1/messages differs from chat-completions in ways that
// change meaning, so the translation is done here, in one place, and checked
// before anything is sent:
// - system (and developer) messages become the top-level `system` text;
// - messages become content blocks, and consecutive messages of one role are
//   merged into one turn (Anthropic requires user and assistant to alternate);
//   tool messages become `tool_result` blocks in a user turn, so the results
//   of parallel calls share one turn; assistant tool_calls become `tool_use`
//   blocks; a trailing assistant message stays last (a prefill Anthropic
//   continues), its trailing white space dropped (Anthropic refuses it);
// - user content parts: text -> text block, image_url (data URL or http(s)
//   URL) -> image block, file with a PDF data URL -> document block; any other
//   part is Error(usage) naming it;
// - `max_tokens` is always sent: the request's, else kDefaultMaxTokens;
// - reasoning_effort -> `thinking` with budget_tokens from
//   thinking_budget_for(); max_tokens is raised to budget + the answer's room
//   when it would not exceed the budget;
// - temperature, top_p, top_k and stop (-> stop_sequences) are mapped;
//   presence/frequency penalties, seed and verbosity have no Anthropic
//   equivalent and are not sent; response_format json_schema (object root)
//   becomes a forced answer tool (anthropic_answer_tool.hpp), other formats
//   are not sent;
// - tools -> [{name, description, input_schema}], tool_choice auto / required
//   (-> any) / none / a named function (-> tool).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/provider/chat.hpp"

namespace weir {

// Sent as max_tokens when neither the gateway nor the caller set one.
inline constexpr int64_t kDefaultMaxTokens = 4096;

// The `anthropic-version` header value this adapter speaks.
inline constexpr std::string_view kAnthropicVersion = "2023-06-01";

// Thinking budget for a reasoning_effort: low 1024, medium 4096, high 16384;
// none and minimal: no thinking (nullopt). Another value is Error(usage).
std::optional<int64_t> thinking_budget_for(std::string_view reasoning_effort);

// The Messages API body for `request`. Error(usage) for what Anthropic cannot
// take (an unmappable content part, a non-function tool, a malformed message).
json anthropic_messages_body(const ChatRequest& request);

}  // namespace weir
