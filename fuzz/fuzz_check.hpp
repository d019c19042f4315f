// What every fuzz target uses to state an invariant: a broken one is a crash
// that libFuzzer records (the input is saved as crash-<hash>), the same as a
// sanitizer report or an uncaught exception.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace weir::fuzz {

inline void check(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
  std::abort();
}

}  // namespace weir::fuzz
