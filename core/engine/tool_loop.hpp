// Tool loop — step 7 of the engine pipeline: server-side tools run inside weir.
//
// run_tool_loop() calls the upstream, and while the model asks only for
// server-side tools (those `tools` handles, tool_registry.hpp), runs them, appends the
// assistant's tool calls and one `tool` message per call, and calls again,
// until the model answers. Streaming is preserved:
//   - content and reasoning deltas reach `on_delta` as they arrive, in every
//     round (text a model writes before calling a tool is part of the answer);
//   - tool-call fragments of server-side tools never reach `on_delta`; they are
//     assembled (Completion::apply) and reported as ServerToolActivity deltas
//     ("started", then "succeeded" or "failed") around each run;
//   - a round that ends in server-side calls has its finish and usage deltas
//     held back; after the final round one usage delta carries the sum.
// Client-defined tools pass through: when the model calls one, the turn ends
// with finish_reason "tool_calls" and only the client's calls (renumbered from
// index 0) in the result; server-side calls in that same response are dropped
// unrun, because the client could not return their results. The client's tool
// results continue the conversation in its next request.
// A failing server-side tool (a weir::Error other than interrupted, or a
// ToolOutput marked failed) becomes its tool message ("error: ...") so the
// model can react. Images in the ToolOutputs of a round follow its tool
// messages as one user message of content parts (a tool message is text). After
// `max_rounds` rounds of server-side calls, a model still asking for them is
// an Error(upstream, "tool_iterations_exceeded"). Cancellation is checked
// before each round and each tool run, and by the provider during a call.
// With no server-side tools at all, it is exactly one provider call. With a
// `tool_result_window`, it is applied (tool_result_window.hpp) to the
// conversation before each round after the first. Before each round after the
// first, the registry's prepare_turn() also lets the tool sources update the
// conversation and the offered tools (a skill read joins the system message;
// tools a skill allows appear). Each server-side call asks `before_tool`
// first (tool.called hooks), which may replace its result or stop the request.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/provider/provider.hpp"
#include "core/tools/tool_registry.hpp"

namespace weir {

struct RunnedFunction {
  std::string name;
  std::string id;
  std::string arguments;  // JSON text, as the model sent it
  bool success = false;
  double duration_ms = 0;
  std::string error;  // when !success
  nlohmann::json to_json() const;  // {name, id, arguments (parsed when JSON), success, duration_ms, error?}
};

struct ToolLoopOptions {
  const ToolRegistry* tools = nullptr;  // null or empty: no server-side tools
  int max_rounds = 8;
  std::string cap_advice;  // appended to the cap error: how to raise it
  std::optional<int> tool_result_window;
  // Asked before each server-side tool runs (the gateway's tool.called hooks,
  // hook_actions.hpp): a value is the call's result and the tool does not
  // run. Unlike the tool's own failure, an Error it throws stops the request.
  std::function<std::optional<std::string>(const ToolCall&, const CancelToken&)> before_tool;
};

struct ToolLoopResult {
  Completion completion;  // content of every round; the last round's finish; summed usage
  std::vector<RunnedFunction> functions;
  int upstream_calls = 0;
};

// Fills `result` as it goes, so that when it throws (cancelled, a filter
// ended the stream, an upstream failure in a later round) `result` still
// says what happened before: the functions run, the upstream calls made and
// the usage of the rounds that finished (completion.usage).
void run_tool_loop(Provider& provider, ChatRequest request, const ToolLoopOptions& options,
                   const DeltaCallback& on_delta, const CancelToken& cancel, ToolLoopResult& result);

}  // namespace weir
