// Structured attempts — JSON healing: ask, check, and ask again with the
// validation errors, until the answer has the required shape.
//
// run_structured_attempts() runs the tool loop (tool_loop.hpp; server-side
// tools may run before the final JSON) once per attempt, up to
// output.max_attempts. An attempt's answer cannot be shown before it is
// checked, so its content is held back; reasoning deltas and server-side
// tool activity reach `on_delta` as they arrive. Then the answer (the
// prefill, if any, in front) is checked (StructuredOutput::check):
// - valid: `on_delta` gets one content delta with the JSON text, then one
//   delta with the attempt's finish reason and usage; `result` is the final
//   attempt's loop, its functions preceded by those of earlier attempts;
// - not valid, attempts left: `on_failed` is told (the engine bills the
//   attempt as usage lines of its own), the assistant's answer and
//   healing_message() are appended to the conversation (before the prefill,
//   which stays last) and the next attempt runs;
// - not valid on the last attempt: `on_failed` is told, then
//   Error(upstream, code "json_validation_failed") quoting the last problems.
// - refused by the model (finish reason content_filter): `on_failed` is
//   told, then Error(upstream, code "model_refused") without asking again.
// A turn that ends in the client's own tool calls is not checked: its held
// deltas are passed on as they came, and the result has no check (nullopt).
// Upstream errors and cancellation propagate as from run_tool_loop, with
// `result` saying what the failing attempt did.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/engine/structured_output.hpp"
#include "core/engine/tool_loop.hpp"

namespace weir {

// attempt: 1-based; loop: what that attempt did; problems: why it was refused.
using FailedAttemptCallback = std::function<void(int attempt, const ToolLoopResult& loop, const std::string& problems)>;

std::optional<StructuredCheck> run_structured_attempts(Provider& provider, ChatRequest request,
                                                       const StructuredOutput& output, const std::string& prefill,
                                                       const ToolLoopOptions& options, const DeltaCallback& on_delta,
                                                       const CancelToken& cancel, ToolLoopResult& result,
                                                       const FailedAttemptCallback& on_failed);

}  // namespace weir
