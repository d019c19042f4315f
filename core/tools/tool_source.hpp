// ToolSource — one provider of server-side tools: tools weir runs itself
// while a model answers (the engine's tool loop, tool_loop.hpp).
//
// Today: a gateway's collection search (collection_search_source.hpp). Next:
// MCP servers, HTTP functions, skills and built-ins, each one more ToolSource
// added to the request's ToolRegistry (tool_registry.hpp) by the stage that
// knows about it.
//
// Contract:
// - owner() names the source for people ("collection search", "MCP server
//   'files'"); the registry uses it in the error for a name clash.
// - definitions() is the list of OpenAI function tools it offers
//   ({"type": "function", "function": {name, description, parameters}}),
//   fixed for the life of the source.
// - run() executes one call of one of its tools and returns its ToolOutput:
//   the text of the `tool` message, images the model should see (attached
//   after the round's tool messages as a user message of content parts, since
//   a `tool` message carries text only), and whether the tool reported a
//   failure (the model then sees "error: TEXT"). Bad arguments are Error(usage) whose message is fed
//   back to the model so it can correct the call; Error(interrupted) when
//   `call.cancel` fires. A long call may report how far it got with
//   call.progress(), from the thread that runs it (the caller's stream sees
//   each report as a servertool "progress" event). It may be called from
//   any one thread at a time.
// - Between model turns (optional): prepare_turn() lets a source change the
//   conversation the next turn sends, e.g. add to the system message what a
//   call taught it (skills). hides() lets a source keep a tool — its own or
//   another source's — from being offered for now (hide_tools_unless_skill).
//   Both are asked again before every turn after the first, so what they
//   answer may change with the calls run; the defaults change nothing.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/provider/chat.hpp"

namespace weir {

struct ToolOutput {
  ToolOutput() = default;
  ToolOutput(std::string text_) : text(std::move(text_)) {}  // NOLINT: a plain text answer
  std::string text;
  nlohmann::json images = nlohmann::json::array();  // OpenAI content parts: {"type": "image_url", ...}
  bool failed = false;
};

// What one tool call runs under: the caller's cancellation, and where its
// progress goes.
struct ToolCallContext {
  // NOLINTNEXTLINE: a call nobody watches the progress of is just its cancel token
  ToolCallContext(const CancelToken& cancel_, std::function<void(const ToolProgress&)> on_progress_ = nullptr)
      : cancel(cancel_), on_progress(std::move(on_progress_)) {}
  const CancelToken& cancel;
  std::function<void(const ToolProgress&)> on_progress;  // may be empty
  void progress(const ToolProgress& report) const {
    if (on_progress) on_progress(report);
  }
};

class ToolSource {
 public:
  virtual ~ToolSource() = default;
  virtual std::string owner() const = 0;
  virtual nlohmann::json definitions() const = 0;
  virtual ToolOutput run(const ToolCall& call, const ToolCallContext& context) = 0;
  // `messages`: the OpenAI messages the next turn sends.
  virtual void prepare_turn(nlohmann::json& messages) { (void)messages; }
  virtual bool hides(const std::string& tool_name) const {
    (void)tool_name;
    return false;
  }
};

}  // namespace weir
