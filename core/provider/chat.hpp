// The chat-completions vocabulary every part of weir speaks.
//
// Principle 2 of DESIGN.md: inside weir, requests, messages, streamed deltas,
// tool calls and usage have the OpenAI chat-completions shape. Messages and
// request parameters stay JSON so that fields weir does not interpret (content
// parts, images, vendor extensions) pass through untouched; what the engine
// does interpret (deltas, tool calls, usage, finish reasons) is typed here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

using json = nlohmann::json;

// One document the engine retrieved for a request (core/engine/retrieval.hpp).
struct GroundingDocument {
  std::string collection;
  std::string docid;
  std::string ref;  // empty when the document has none
  std::string text;
  double score = 0;  // in [0, 1], see core/rag/fusion.hpp
};

// What the engine's retrieval found for a request, given to the adapter with
// Provider::ground(). Providers of real models ignore it: the documents
// already sit in the last user message. The built-in extractive provider
// answers from it alone (core/provider/extractive_provider.hpp).
struct Grounding {
  std::vector<std::string> collections;  // the gateway's collections; empty: none attached
  std::string query;                     // what was searched
  std::vector<GroundingDocument> documents;  // best first; empty: nothing relevant
};

// The sampling and output fields of a request: what the gateway set, with the
// caller's allowed overrides on top. Absent fields are not sent; an adapter
// translates each to its wire format (or leaves out what its service lacks).
struct SamplingParameters {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> top_k;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<int64_t> seed;
  std::optional<int64_t> max_tokens;
  std::optional<std::string> reasoning_effort;  // none | minimal | low | medium | high
  std::optional<std::string> verbosity;         // low | medium | high
  std::vector<std::string> stop;

  // From OpenAI body fields of the same names (validated gateway fields; a
  // field of the wrong type is left out). `stop` may be a string or a list.
  static SamplingParameters from_json(const json& fields);
  // The set fields as OpenAI body fields.
  json to_json() const;
};

// What goes to an upstream: the provider adapter turns this into its wire body.
struct ChatRequest {
  std::string model;              // the upstream's model id
  json messages = json::array();  // OpenAI messages, in order
  SamplingParameters sampling;
  json tools = json::array();   // OpenAI function tools, client's and server-side
  json tool_choice = nullptr;   // "auto" | "none" | "required" | {...}; null: not sent
  json response_format = nullptr;  // {"type": ...}; null: not sent
  bool stream = true;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;     // prompt_tokens_details.cached_tokens: read from a prompt cache
  // Prompt tokens written to the provider's prompt cache (Anthropic, Bedrock),
  // billed above the input price; part of prompt_tokens, like cached_tokens.
  int64_t cache_write_tokens = 0;
  int64_t reasoning_tokens = 0;  // completion_tokens_details.reasoning_tokens
  json to_json() const;          // OpenAI "usage" object
};

// One piece of a tool call as it arrives in a stream: id and name come once,
// arguments arrive in fragments; `index` says which call a fragment belongs to.
struct ToolCallFragment {
  int index = 0;
  std::string id;
  std::string name;
  std::string arguments;
};

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as the model produced it
  json to_json() const;   // {"id","type":"function","function":{"name","arguments"}}
};

// A server-side tool call weir runs itself (a collection search offered by the
// query_function strategy), reported while it runs; never part of the answer.
// On the wire it is a chunk with `choices: []` and this as `servertool`.
// How far a running server-side tool has got, as the tool reports it (an
// MCP server's notifications/progress).
struct ToolProgress {
  double progress = 0;
  std::optional<double> total;
  std::string message;
};

// "3/5 message", "3 message", or "3/5" for people (a terminal, an MCP
// progress message); whole numbers are shown without decimals.
std::string format_tool_progress(const ToolProgress& progress);

struct ServerToolActivity {
  std::string name;
  std::string id;         // the model's tool-call id
  std::string arguments;  // JSON text, as the model produced it
  std::string state;      // "started", any number of "progress", then "succeeded" or "failed"
  std::optional<ToolProgress> progress;  // with state "progress"
  json to_json() const;   // {name, id, arguments, state[, progress, total, message]}
};

// One normalised upstream chunk. The engine also emits deltas that carry only
// `server_tool` (no content) while its tool loop runs.
struct StreamDelta {
  std::string content;
  std::string reasoning;  // from `reasoning` or `reasoning_content`
  std::vector<ToolCallFragment> tool_calls;
  std::optional<std::string> finish_reason;
  std::optional<Usage> usage;
  std::optional<ServerToolActivity> server_tool;
};

// The folded result of one upstream call.
struct Completion {
  std::string id;       // the upstream's id, if it gave one
  std::string model;    // the model the upstream says answered
  std::string content;
  std::string reasoning;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;  // "stop", "length", "tool_calls", ...
  std::optional<Usage> usage;
  // Folds one delta in; tool-call fragments are assembled by index.
  void apply(const StreamDelta& delta);
  // The assistant message to append to a conversation.
  json assistant_message() const;
};

}  // namespace weir
