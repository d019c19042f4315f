#include "core/engine/tool_arguments_unmask_filter.hpp"

#include <nlohmann/json.hpp>

namespace weir {

std::string unmask_tool_arguments(const std::string& arguments, const GuardrailRun& run) {
  const auto& originals = run.originals();
  std::string unmasked;
  size_t position = 0;
  while (position < arguments.size()) {
    auto open = arguments.find('[', position);
    if (open == std::string::npos) break;
    unmasked.append(arguments, position, open - position);
    auto close = arguments.find(']', open);
    if (close != std::string::npos && close - open + 1 <= run.longest_placeholder()) {
      std::string_view candidate(arguments.data() + open, close - open + 1);
      if (auto found = originals.find(candidate); found != originals.end()) {
        auto quoted = nlohmann::json(found->second).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        unmasked.append(quoted, 1, quoted.size() - 2);  // without its quotes: it is inside a string already
        position = close + 1;
        continue;
      }
    }
    unmasked += '[';
    position = open + 1;
  }
  if (position < arguments.size()) unmasked.append(arguments, position, std::string::npos);
  return unmasked;
}

void ToolArgumentsUnmaskFilter::on_delta(const StreamDelta& delta, const DeltaCallback& emit) {
  if (delta.tool_calls.empty() && !(delta.finish_reason && !held_.empty())) {
    emit(delta);
    return;
  }
  StreamDelta passed = delta;
  passed.tool_calls.clear();
  for (const auto& fragment : delta.tool_calls) {
    held_[fragment.index] += fragment.arguments;
    if (fragment.id.empty() && fragment.name.empty()) continue;
    auto named = fragment;
    named.arguments.clear();
    passed.tool_calls.push_back(std::move(named));
  }
  if (delta.finish_reason) {
    // The arguments go out whole before the chunk that closes the answer.
    StreamDelta closing = passed;
    passed = StreamDelta{};
    passed.tool_calls = std::move(closing.tool_calls);
    closing.tool_calls.clear();
    if (!passed.tool_calls.empty()) emit(passed);
    release(emit);
    emit(closing);
    return;
  }
  if (!passed.content.empty() || !passed.reasoning.empty() || !passed.tool_calls.empty() || passed.usage) emit(passed);
}

void ToolArgumentsUnmaskFilter::on_end(const DeltaCallback& emit) { release(emit); }

void ToolArgumentsUnmaskFilter::release(const DeltaCallback& emit) {
  if (held_.empty()) return;
  StreamDelta whole;
  for (const auto& [index, arguments] : held_) {
    ToolCallFragment fragment;
    fragment.index = index;
    fragment.arguments = unmask_tool_arguments(arguments, *run_);
    whole.tool_calls.push_back(std::move(fragment));
  }
  held_.clear();
  emit(whole);
}

}  // namespace weir
