// Complexity classifier — which tier of model (low, medium, high) a request
// needs, for the complexity router (a `routing` block with mode `complexity`).
//
// Two ways to decide, both pure and thread-safe, neither touching the network:
// - classify_complexity() is the default: an offline score over named
//   features of the conversation, no model. It runs on every routed request,
//   so it is a single hand-written pass over the text (no regex, no
//   allocation per word; sorted constant tables, about one look-up per word)
//   and takes about 15 µs for a 2 KB prompt (the budget is 50 µs). It never
//   throws on odd shapes: a messages value that is not an array, messages
//   that are not objects, content that is neither a string nor a list of
//   parts are read as "no text there"; invalid UTF-8 bytes are read as
//   letters of no known word (only std::bad_alloc escapes).
// - When the gateway sets `router_model`, the router sends
//   complexity_request() to that model and reads its answer with
//   read_complexity_answer(); on nullopt (the model named no tier) the router
//   falls back to classify_complexity().
//
// The offline score (docs/routing-complexity.md has the measured accuracy on
// tests/data/complexity_prompts.jsonl and how to reproduce it). The features
// are read from the LAST user message (what the model must answer now),
// except depth, tool activity and attachments, which describe the whole
// conversation. System messages are not read: a gateway's long, constant
// instructions say nothing about how hard this request is. Each feature is
// capped, so one signal repeated cannot carry a request to `high` alone:
//
//   feature          what is counted                                 weight   cap
//   length           log2(1 + tokens / 8), tokens ~ bytes / 4         0.75    3.5
//                    (a longer ask carries more requirements; capped
//                    so a pasted document to summarise stays medium)
//   code             fenced blocks (x2), code-shaped lines, stack      0.40    4
//                    trace lines, identifiers (snake_case, camelCase,
//                    calls, ::, ->, ==), programming terms (writing
//                    code alone is medium: the cap keeps it there)
//   math             math operators (^, =, ∑ ∫ ≤ ..., ² ³), LaTeX      0.70    4
//                    commands, math words (theorem, integral); a
//                    proof word (prove, proof, "show that", derive)
//                    counts 3: a proof is demanding however short
//   multi_step       list items, sequencing words (then, finally,      0.35    6
//                    "step by step"), each question after the first
//   reasoning        analysis verbs: compare, design, prove, derive,   0.90    5
//                    optimise, trade-offs, evaluate, risk, strategy
//                    (what separates high from medium most often)
//   constraints      must, without, at most, within, O(n), latency,    0.30    5
//                    budget, requirements ...
//   user_turns       user messages before the last one (depth: the     0.25    4
//                    model must hold the earlier turns together)
//   tool_messages    tool results and assistant tool calls (an         0.20    4
//                    agentic turn must combine what tools returned)
//   attachments      images, audio and files in user messages          0.50    2
//   task             asks to produce or explain (write, explain,        0.50    2
//                    summarise, draft, create): more than a lookup
//   simple_request   lookup and chit-chat markers (hi, thanks,        -0.80    2
//                    translate, synonym, capital, "what is"), counted
//                    in the first 160 bytes only (further on they are
//                    most likely quoted material)
//
// Words are matched whole, in lower case, also without a plural "s";
// phrases of two or three words too ("trade-offs", "no more than").
// score = sum(weight * min(value, cap)); tier = low below 1.6, high from
// 4.4, medium between (kComplexityLowBelow, kComplexityHighFrom). The
// weights and cut points were tuned on the "train" prompts of the labelled
// set only; on the held-out "test" prompts about 3 in 4 land right, and a
// low request is not sent to high (nor a high one to low). A conversation with no user message (or one without text or
// attachments) has nothing to judge and gets medium with score 0.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/gateway/config_schema.hpp"
#include "core/provider/chat.hpp"

namespace weir {

using json = nlohmann::json;

// ComplexityTier is the gateway schema's (a routing target's `tier`).

// "low" | "medium" | "high".
std::string_view to_string(ComplexityTier tier) noexcept;
// The tier named exactly ("low", "medium", "high"; case-sensitive, as in a
// gateway's configuration); nullopt for anything else.
std::optional<ComplexityTier> parse_complexity_tier(std::string_view text);

struct ComplexityVerdict {
  ComplexityTier tier = ComplexityTier::medium;
  double score = 0;  // the classifier's raw score the tier was cut from
  // The named features and their values (the table above, uncapped; length
  // as "length_tokens"), for generation_context.routing:
  // {"length_tokens": 412, "code": 3, "math": 0, ...}.
  json features;
};

// The score cut points (see the table above): score < kLowBelow is low,
// score >= kHighFrom is high.
inline constexpr double kComplexityLowBelow = 1.6;
inline constexpr double kComplexityHighFrom = 4.4;

// Offline, no model: reads an OpenAI messages array (system, user, assistant,
// tool messages; content a string or content parts). Never throws on odd
// shapes (see above). Deterministic: the same messages give the same verdict.
// Text beyond the first and last 32 KiB of a huge message is not scanned for
// features (its length still counts), so the cost stays bounded.
ComplexityVerdict classify_complexity(const json& messages);

// For router_model: the short classification call to `model`. Non-streaming,
// max_tokens 10, temperature 0; a system instruction asking for exactly one
// word (low, medium or high) and what each means; the user turn is the text
// of the conversation's last user message (its text parts joined), cut to at
// most kComplexityExcerptBytes at a character boundary with a note saying
// how much was left out, invalid UTF-8 replaced by U+FFFD (so the request
// always serialises), and a note of how many attachments it had. With no
// user message the user turn says so. Never throws on odd shapes.
inline constexpr size_t kComplexityExcerptBytes = 4000;
ChatRequest complexity_request(const json& messages, const std::string& model);

// The tier a router model's answer names: the first whole word low, medium or
// high in any case, with any punctuation or words around it ("High.", "the
// answer is low", "**MEDIUM**"); text inside <think>...</think> is skipped.
// nullopt when no tier word is there ("none of these", "", "highly unclear").
std::optional<ComplexityTier> read_complexity_answer(std::string_view text);

}  // namespace weir
