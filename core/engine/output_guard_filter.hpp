// OutputGuardFilter — a gateway's output guardrails over the answer as it
// streams (core/policy/guardrails.hpp; DESIGN.md pipeline step 10).
//
// regex, pii and words guards scan the answer's content with a carry-over
// window: the last `window` bytes (the largest of the output guards') are
// held back until more arrives or the answer ends, so a match split across
// two chunks is whole when it is scanned, and a match still growing at the
// edge is not shown half-masked. A match still growing past kMostHeldWindows
// windows is cut (and masked in two parts), so nothing is held for ever and
// each chunk is scanned in time bounded by the window.
// - deny: a match ends the answer with Error(usage, "guardrail_violation")
//   naming the guard; the held-back text containing it is never shown. (A
//   streaming front door sends that as its mid-stream error chunk.)
// - mask: matches are replaced by bare placeholders ([EMAIL], [REDACTED]):
//   nothing the caller gave is behind them, so nothing is put back.
// - warn: the matches are counted in a note; the text passes.
// length guards count what passes (deny ends the answer once it is over);
// json_schema guards check the whole answer at its end (deny fails it then,
// after a streamed answer was shown). Reasoning, tool calls and usage pass
// without delay. Notes go to the request's GuardrailRun.
#pragma once

#include <memory>
#include <string>

#include "core/engine/holding_filter.hpp"
#include "core/policy/guardrails.hpp"

namespace weir {

class OutputGuardFilter final : public HoldingFilter {
 public:
  OutputGuardFilter(std::shared_ptr<const GuardSet> guards, std::shared_ptr<GuardrailRun> run);

  void on_end(const DeltaCallback& emit) override;

 private:
  // The pending text that may be shown now (all of it when `final`), masked.
  std::string release(bool final) override;
  void observe(std::string_view content) override;
  void check_length(std::string_view added);

  std::shared_ptr<const GuardSet> guards_;
  std::shared_ptr<GuardrailRun> run_;
  size_t window_ = 0;
  std::string shown_tail_;  // the last few bytes shown, context for the next scan
  std::string answer_;   // the whole answer, when a json_schema guard needs it
  bool needs_answer_ = false;
  size_t characters_ = 0;  // content characters seen, for length guards
  size_t bytes_ = 0;       // and bytes
  std::vector<size_t> matches_;  // per guard: matches shown (warn) or masked
  std::vector<std::vector<std::string_view>> kinds_;  // per guard: the pii kinds of those
  std::vector<bool> length_noted_;
};

}  // namespace weir
