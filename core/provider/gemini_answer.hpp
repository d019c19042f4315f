// Gemini answer — GenerateContentResponse objects read as StreamDeltas.
//
// One reader per attempt (upstream_call.hpp's AnswerReader): an SSE stream of
// `data: {GenerateContentResponse}` chunks (streamGenerateContent?alt=sse),
// or one GenerateContentResponse (generateContent). From candidates[0]:
// - text parts -> content; parts with thought: true -> reasoning;
// - functionCall parts -> tool calls, numbered in order; Gemini gives no ids,
//   so each gets "call_<n>", n counting from `first_call_number` (the adapter
//   counts across its answers, so a tool loop never reuses an id); a part's
//   thoughtSignature is kept in `signatures` to be sent back with the call;
// - finishReason: STOP -> stop ("tool_calls" when the answer called a
//   function), MAX_TOKENS -> length, SAFETY, RECITATION, BLOCKLIST,
//   PROHIBITED_CONTENT, SPII, IMAGE_SAFETY -> content_filter, others -> stop;
//   MALFORMED_FUNCTION_CALL is Error(upstream);
// - usageMetadata -> usage (promptTokenCount; candidatesTokenCount plus
//   thoughtsTokenCount as completion; cachedContentTokenCount as cached;
//   thoughtsTokenCount as reasoning), delivered with the finish (Gemini
//   repeats running totals in earlier chunks).
// A prompt Gemini blocked (promptFeedback.blockReason, no candidates) is
// Error(usage) with code "content_filter": nothing was generated, and the
// caller must change the prompt; it is not an upstream failure. A stream that
// ends before a finishReason, an error object in the stream, or a 200 that is
// not a GenerateContentResponse is Error(upstream).
#pragma once

#include <memory>
#include <string>

#include "core/provider/gemini_request.hpp"
#include "core/provider/provider.hpp"
#include "core/provider/upstream_call.hpp"

namespace weir {

std::unique_ptr<AnswerReader> make_gemini_answer_reader(const DeltaCallback& deliver, Completion& completion,
                                                        int first_call_number, ThoughtSignatures& signatures,
                                                        int& calls_made);

}  // namespace weir
