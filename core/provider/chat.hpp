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

// What goes to an upstream: the provider adapter turns this into its wire body.
struct ChatRequest {
  std::string model;          // the upstream's model id
  json messages = json::array();  // OpenAI messages, in order
  // Body fields copied verbatim into the request (temperature, top_p, top_k,
  // max_tokens, stop, seed, presence_penalty, frequency_penalty,
  // reasoning_effort, verbosity, tools, tool_choice, response_format, ...).
  json parameters = json::object();
  bool stream = true;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;     // prompt_tokens_details.cached_tokens
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

// One normalised upstream chunk.
struct StreamDelta {
  std::string content;
  std::string reasoning;  // from `reasoning` or `reasoning_content`
  std::vector<ToolCallFragment> tool_calls;
  std::optional<std::string> finish_reason;
  std::optional<Usage> usage;
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
