#include "core/engine/tool_loop.hpp"

#include <chrono>
#include <map>
#include <optional>

#include "core/engine/tool_result_window.hpp"
#include "core/error.hpp"
#include "core/json_input.hpp"

namespace weir {

namespace {

using Clock = std::chrono::steady_clock;

void add_usage(std::optional<Usage>& total, const Usage& more) {
  if (!total) total = Usage{};
  total->prompt_tokens += more.prompt_tokens;
  total->completion_tokens += more.completion_tokens;
  total->cached_tokens += more.cached_tokens;
  total->cache_write_tokens += more.cache_write_tokens;
  total->reasoning_tokens += more.reasoning_tokens;
}

// Routes the tool-call fragments of one round: a call is the client's or the
// server's once its name is known; until then its fragments wait.
class RoundRouter {
 public:
  RoundRouter(const ToolLoopOptions& options, const DeltaCallback& on_delta) : options_(options), on_delta_(on_delta) {}

  void route(const StreamDelta& delta, Completion& round) {
    round.apply(delta);
    StreamDelta forwarded = delta;
    forwarded.tool_calls.clear();
    forwarded.usage.reset();
    for (const auto& fragment : delta.tool_calls) {
      auto& call = calls_[fragment.index];
      call.name += fragment.name;
      if (!call.decided && !call.name.empty()) decide(call);
      if (!call.decided) {
        call.waiting.push_back(fragment);
      } else if (!call.server) {
        auto renumbered = fragment;
        renumbered.index = call.client_index;
        forwarded.tool_calls.push_back(renumbered);
      }
    }
    if (delta.finish_reason) {
      flush_undecided(forwarded);
      // A round that ends in server-side calls only is not the answer's end.
      if (has_server_calls() && !has_client_calls()) forwarded.finish_reason.reset();
    }
    if (!forwarded.content.empty() || !forwarded.reasoning.empty() || !forwarded.tool_calls.empty() ||
        forwarded.finish_reason)
      on_delta_(forwarded);
  }

  // Calls whose name never came are treated as the client's.
  void finish(Completion&) {
    StreamDelta forwarded;
    flush_undecided(forwarded);
    if (!forwarded.tool_calls.empty()) on_delta_(forwarded);
  }

  bool is_server(int index) const {
    auto it = calls_.find(index);
    return it != calls_.end() && it->second.decided && it->second.server;
  }
  bool has_server_calls() const {
    for (const auto& [index, call] : calls_)
      if (call.decided && call.server) return true;
    return false;
  }
  bool has_client_calls() const {
    for (const auto& [index, call] : calls_)
      if (!call.decided || !call.server) return true;
    return false;
  }

 private:
  struct Call {
    std::string name;
    bool decided = false;
    bool server = false;
    int client_index = 0;
    std::vector<ToolCallFragment> waiting;
  };

  void decide(Call& call) {
    call.decided = true;
    call.server = options_.tools->handles(call.name);
    if (!call.server) call.client_index = next_client_index_++;
  }

  void flush_undecided(StreamDelta& forwarded) {
    for (auto& [index, call] : calls_) {
      if (!call.decided) decide(call);
      if (call.server) {
        call.waiting.clear();
        continue;
      }
      for (auto& fragment : call.waiting) {
        fragment.index = call.client_index;
        forwarded.tool_calls.push_back(fragment);
      }
      call.waiting.clear();
    }
  }

  const ToolLoopOptions& options_;
  const DeltaCallback& on_delta_;
  std::map<int, Call> calls_;
  int next_client_index_ = 0;
};

StreamDelta activity(const ToolCall& call, const char* state) {
  StreamDelta delta;
  delta.server_tool = ServerToolActivity{call.name, call.id, call.arguments, state, std::nullopt};
  return delta;
}

// One server-side call: `before_tool` first (its Error stops the request),
// then the registry (its Error is the tool's message, so the model can react).
ToolOutput run_server_tool(const ToolLoopOptions& options, const ToolCall& call, const ToolCallContext& context) {
  if (options.before_tool)
    if (auto replaced = options.before_tool(call, context.cancel)) return ToolOutput(std::move(*replaced));
  try {
    return options.tools->run(call, context);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::interrupted) throw;
    ToolOutput output(error.what());
    output.failed = true;
    return output;
  }
}

}  // namespace

nlohmann::json RunnedFunction::to_json() const {
  // The model wrote these: read by the input policy (a deep value would
  // overflow the stack when copied here), kept as text when refused.
  auto parsed = read_json(arguments);
  nlohmann::json object = {{"name", name},
                           {"id", id},
                           {"arguments", parsed.ok() ? std::move(parsed.value) : nlohmann::json(arguments)},
                           {"success", success},
                           {"duration_ms", duration_ms}};
  if (!success) object["error"] = error;
  return object;
}

void run_tool_loop(Provider& provider, ChatRequest request, const ToolLoopOptions& options,
                   const DeltaCallback& on_delta, const CancelToken& cancel, ToolLoopResult& result) {
  result = ToolLoopResult{};
  if (options.tools == nullptr || options.tools->empty()) {
    result.upstream_calls = 1;
    result.completion = provider.chat(request, on_delta, cancel);
    return;
  }

  std::string content, reasoning;
  std::optional<Usage> total_usage;
  for (int rounds_run = 0;; ++rounds_run) {
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    if (rounds_run > 0) {
      // What the calls so far taught the sources (a skill read) joins this turn.
      options.tools->prepare_turn(request);
      if (options.tool_result_window) apply_tool_result_window(request.messages, *options.tool_result_window);
    }
    Completion round;
    RoundRouter router(options, on_delta);
    ++result.upstream_calls;  // before the call: an interrupted call was still made
    auto folded = provider.chat(
        request, [&](const StreamDelta& delta) { router.route(delta, round); }, cancel);
    router.finish(round);
    // A provider returns the fold of the deltas it delivered; keep its metadata.
    round.id = folded.id;
    round.model = folded.model;
    if (folded.usage) round.usage = folded.usage;
    if (round.usage) add_usage(total_usage, *round.usage);
    result.completion.usage = total_usage;  // what was spent so far, should a later round be interrupted
    content += round.content;
    reasoning += round.reasoning;

    std::vector<ToolCall> server_calls, client_calls;
    for (size_t index = 0; index < round.tool_calls.size(); ++index) {
      const auto& call = round.tool_calls[index];
      if (call.name.empty() && call.id.empty()) continue;
      (router.is_server(static_cast<int>(index)) ? server_calls : client_calls).push_back(call);
    }
    bool final_round = server_calls.empty() || !client_calls.empty();
    if (final_round) {
      result.completion = round;
      result.completion.content = content;
      result.completion.reasoning = reasoning;
      result.completion.tool_calls = client_calls;
      if (!client_calls.empty()) result.completion.finish_reason = "tool_calls";
      result.completion.usage = total_usage;
      if (total_usage) {
        StreamDelta usage;
        usage.usage = total_usage;
        on_delta(usage);
      }
      return;
    }
    if (rounds_run == options.max_rounds)
      throw Error(ErrorKind::upstream,
                  "the model was still calling server-side tools after " + std::to_string(options.max_rounds) +
                      " rounds, so weir stopped without an answer" +
                      (options.cap_advice.empty() ? "" : "; " + options.cap_advice),
                  "tool_iterations_exceeded");

    Completion calls_only;
    calls_only.content = round.content;
    calls_only.tool_calls = server_calls;
    request.messages.push_back(calls_only.assistant_message());
    // A tool message carries text only: the images tools return follow the
    // round's tool messages as one user message of content parts.
    auto images = nlohmann::json::array();
    for (const auto& call : server_calls) {
      if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
      on_delta(activity(call, "started"));
      RunnedFunction function{call.name, call.id, call.arguments, true, 0, {}};
      auto start = Clock::now();
      ToolCallContext call_context{cancel, [&](const ToolProgress& report) {
                                     auto update = activity(call, "progress");
                                     update.server_tool->progress = report;
                                     on_delta(update);
                                   }};
      ToolOutput output = run_server_tool(options, call, call_context);
      if (output.failed) {
        function.success = false;
        function.error = output.text;
        output.text = "error: " + output.text;
      }
      function.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      on_delta(activity(call, function.success ? "succeeded" : "failed"));
      request.messages.push_back({{"role", "tool"}, {"tool_call_id", call.id}, {"content", output.text}});
      if (output.images.is_array() && !output.images.empty()) {
        images.push_back({{"type", "text"}, {"text", "Images returned by the tool call " + call.id + " (" + call.name + "):"}});
        for (const auto& image : output.images) images.push_back(image);
      }
      result.functions.push_back(std::move(function));
    }
    if (!images.empty()) request.messages.push_back({{"role", "user"}, {"content", std::move(images)}});
  }
}

}  // namespace weir
