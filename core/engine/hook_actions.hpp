// Hook actions — what a hook's worker-action answer does to a request
// (core/policy/hooks.hpp calls the hooks; this applies their answers).
//
// message.received, applied in order to the request about to go upstream,
// each to what the previous one left:
//   {"action": "clear"}                          drop every message but the
//                                                system (and developer) ones
//   {"action": "add-message", "role": R, "content": C}   append a message
//                                                (R: user, assistant, system,
//                                                developer; C: text or parts)
//   {"action": "remove-message", "index": N}     remove messages[N] as it
//                                                stands then (0-based)
//   {"action": "add-system", "content": TEXT}    append TEXT to the system
//                                                message (made when missing)
//   {"action": "add-tool", "tool": DEFINITION}   offer one more OpenAI tool
//                                                definition; no server source
//                                                runs it, so a call of it goes
//                                                back to the caller like the
//                                                caller's own tools
// tool.called:
//   {"action": "set-result", "content": C}       C (text, or any JSON value,
//                                                sent as its JSON text) is the
//                                                call's result; the tool does
//                                                not run, later hooks are not
//                                                asked
// Any other action, an action of the other event, or one missing a field is
// Error(upstream, "hook_failed") naming the hook, the action and what is
// wrong: an answer weir does not understand stops the request rather than be
// half applied.
#pragma once

#include <optional>
#include <string>

#include "core/cancellation.hpp"
#include "core/policy/hooks.hpp"
#include "core/provider/chat.hpp"

namespace weir {

// Applies every action of a message.received answer to `request`.
void apply_message_actions(const HookAnswer& answer, ChatRequest& request);

// The result a tool.called answer sets (nullopt: the tool runs).
std::optional<std::string> tool_result_action(const HookAnswer& answer);

// Runs the message.received hooks over `request`, applying their answers.
void run_message_received_hooks(HookDispatcher& hooks, ChatRequest& request, const CancelToken& cancel);

// Runs the tool.called hooks for `call`: the result one of them set, if any.
std::optional<std::string> run_tool_called_hooks(HookDispatcher& hooks, const ToolCall& call,
                                                 const CancelToken& cancel);

}  // namespace weir
