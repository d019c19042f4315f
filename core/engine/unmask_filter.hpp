// UnmaskFilter — puts the caller's originals back where the answer repeats
// the placeholders an input `mask` guardrail sent upstream instead
// ([EMAIL_1] -> the address the caller wrote; core/policy/guardrails.hpp).
//
// A placeholder may arrive split across chunks ("[EMA", "IL_1]"): text from
// a '[' that could still become a placeholder (no ']' yet, not longer than
// the longest placeholder) is held back until the next chunk or the end.
// Everything else passes at once; a '[...]' that is no placeholder of this
// request passes unchanged. Reasoning, tool calls and usage pass untouched;
// a delta with a finish_reason releases everything held first (its chunk
// closes the answer).
#pragma once

#include <memory>
#include <string>

#include "core/engine/holding_filter.hpp"
#include "core/policy/guardrails.hpp"

namespace weir {

class UnmaskFilter final : public HoldingFilter {
 public:
  explicit UnmaskFilter(std::shared_ptr<const GuardrailRun> run) : run_(std::move(run)) {}

 private:
  std::string release(bool final) override;

  std::shared_ptr<const GuardrailRun> run_;
};

}  // namespace weir
