// ToolArgumentsUnmaskFilter — puts the caller's originals back into the
// arguments of the client tool calls an answer makes, where the model wrote
// the placeholders an input `mask` guardrail sent it ({"to": "[EMAIL_1]"}
// -> the address the caller wrote), so the caller's tool gets real values.
//
// Arguments are JSON text that may arrive in any number of fragments, and a
// placeholder may be split across them: each call's arguments are held until
// the answer finishes (the delta with a finish_reason, or the end of the
// stream), then sent whole, unmasked, as one fragment per call. The
// fragments naming a call (its id and name) pass at once, so a client sees
// the call begin. An original is written JSON-escaped, since it lands inside
// a JSON string. Content, reasoning and usage pass untouched (UnmaskFilter
// does the content).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/engine/stream_filter.hpp"
#include "core/policy/guardrails.hpp"

namespace weir {

class ToolArgumentsUnmaskFilter final : public StreamFilter {
 public:
  explicit ToolArgumentsUnmaskFilter(std::shared_ptr<const GuardrailRun> run) : run_(std::move(run)) {}
  void on_delta(const StreamDelta& delta, const DeltaCallback& emit) override;
  void on_end(const DeltaCallback& emit) override;

 private:
  void release(const DeltaCallback& emit);

  std::shared_ptr<const GuardrailRun> run_;
  std::map<int, std::string> held_;  // call index -> its arguments so far
};

// `arguments` (JSON text) with each placeholder of `run` replaced by its
// original, JSON-escaped.
std::string unmask_tool_arguments(const std::string& arguments, const GuardrailRun& run);

}  // namespace weir
