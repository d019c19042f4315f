#include "core/engine/structured_attempts.hpp"

#include <vector>

#include "core/error.hpp"

namespace weir {

std::optional<StructuredCheck> run_structured_attempts(Provider& provider, ChatRequest request,
                                                       const StructuredOutput& output, const std::string& prefill,
                                                       const ToolLoopOptions& options, const DeltaCallback& on_delta,
                                                       const CancelToken& cancel, ToolLoopResult& result,
                                                       const FailedAttemptCallback& on_failed) {
  std::vector<RunnedFunction> earlier_functions;
  for (int attempt = 1;; ++attempt) {
    std::vector<StreamDelta> held;
    auto hold = [&](const StreamDelta& delta) {
      if (delta.server_tool) {
        on_delta(delta);
        return;
      }
      if (!delta.reasoning.empty()) {
        StreamDelta thinking;
        thinking.reasoning = delta.reasoning;
        on_delta(thinking);
      }
      held.push_back(delta);
    };
    ToolLoopResult loop;
    auto keep = [&] {
      result = std::move(loop);
      result.functions.insert(result.functions.begin(), earlier_functions.begin(), earlier_functions.end());
    };
    try {
      run_tool_loop(provider, request, options, hold, cancel, loop);
    } catch (...) {
      keep();
      // An attempt cut short (cancelled) generated what it held, though
      // nobody saw it: the caller's estimate of the tokens billed needs it.
      if (result.completion.content.empty())
        for (const auto& delta : held) result.completion.content += delta.content;
      throw;
    }

    if (loop.completion.finish_reason == "tool_calls" && !loop.completion.tool_calls.empty()) {
      // The client's tools: the JSON comes in a later request.
      for (auto delta : held) {
        delta.reasoning.clear();  // already passed on
        on_delta(delta);
      }
      keep();
      return std::nullopt;
    }

    if (loop.completion.finish_reason == "content_filter") {
      // A refusal is not a malformed answer: asking again with its
      // "problems" would only be refused again, at a price.
      on_failed(attempt, loop, "the model refused");
      std::string said = loop.completion.content.substr(0, 200);
      keep();
      throw Error(ErrorKind::upstream,
                  "the model refused to answer" + (said.empty() ? std::string() : ": " + said),
                  "model_refused");
    }

    const std::string answer = prefill + loop.completion.content;
    StructuredCheck check = output.check(answer);
    if (check.valid) {
      StreamDelta content;
      content.content = check.text;
      on_delta(content);
      StreamDelta finish;
      finish.finish_reason = loop.completion.finish_reason.empty() ? std::string("stop") : loop.completion.finish_reason;
      finish.usage = loop.completion.usage;
      on_delta(finish);
      keep();
      return check;
    }

    on_failed(attempt, loop, check.problems);
    if (attempt >= output.max_attempts) {
      keep();
      throw Error(ErrorKind::upstream,
                  "the model's answer did not have the required JSON shape after " + std::to_string(attempt) +
                      (attempt == 1 ? " attempt" : " attempts") + "; the last answer's problems: " + check.problems +
                      " (raise healing_attempts, up to " + std::to_string(kMostHealingAttempts) +
                      ", or simplify the schema)",
                  "json_validation_failed");
    }
    earlier_functions.insert(earlier_functions.end(), loop.functions.begin(), loop.functions.end());
    auto& messages = request.messages;
    bool prefilled = !prefill.empty() && !messages.empty() && messages.back().value("role", "") == "assistant";
    json prefill_message = prefilled ? messages.back() : json(nullptr);
    if (prefilled) messages.erase(messages.end() - 1);
    messages.push_back({{"role", "assistant"}, {"content", answer}});
    messages.push_back(healing_message(check.problems));
    if (prefilled) messages.push_back(std::move(prefill_message));
  }
}

}  // namespace weir
