// Fuzz target: finding JSON in a model's answer (core/engine/json_extraction),
// fed any text a model could write.
//
// Invariants besides "no crash, no sanitizer report": text that is already
// acceptable JSON (weir's JSON input policy) comes back from
// repair_json_text() unchanged, so repairing what parses is idempotent; no
// candidate is empty, and none is longer than the closers and nulls a repair
// can add allow (8 bytes per input byte). Its first finding: nlohmann took a
// NUL byte for the end of the input (core/json_input.cpp now refuses it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/engine/json_extraction.hpp"
#include "core/json_input.hpp"
#include "fuzz/fuzz_check.hpp"

using weir::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto read = weir::read_json(input);
  std::string repaired = weir::repair_json_text(input);
  if (read.ok()) check(repaired == input, "valid JSON is not changed by repair");
  if (weir::read_json(repaired).ok())
    check(weir::repair_json_text(repaired) == repaired, "repair is idempotent on the JSON it produced");

  auto candidates = weir::json_candidates(input);
  for (const auto& candidate : candidates) {
    check(!candidate.empty(), "no candidate is empty");
    check(candidate.size() <= 8 * input.size() + 16, "a candidate is not much longer than the answer");
  }
  (void)weir::add_missing_openers(input);
  return 0;
}
