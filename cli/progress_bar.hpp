// ProgressBar — one redrawn line on stderr for a long import (`collection
// add`, `collection import`): a bar when the fraction done is known, what is
// done, the rate and the time left.
//
// Only on a terminal: constructed disabled (stderr piped, --quiet, --json),
// it prints nothing at all. Redraws are throttled to ten a second (the first
// update draws at once); finish() replaces the bar with a summary line
// ("12 files in 1.4 s, 8.6 files/s") that stays on the screen. The line is cut
// to the terminal's width, so it never wraps and always redraws in place.
// Called from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace weir::cli {

struct ProgressState {
  double fraction = -1;  // 0..1; negative when the total is unknown
  uint64_t items = 0;    // done so far, for the rate ("files", "documents")
  std::string detail;    // what the line says after the bar: "3/12 files  a.md"
};

class ProgressBar {
 public:
  // `unit`: what items are ("files"), for the rate and the summary.
  ProgressBar(bool enabled, std::string unit);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(const ProgressState& state);
  // Ends the bar: its line becomes `summary` followed by the time taken and
  // the rate of `items`, then a newline. Nothing when disabled.
  void finish(const std::string& summary, uint64_t items);

 private:
  void draw(const std::string& line);

  bool enabled_;
  bool drawn_ = false;
  std::string unit_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_drawn_{};
};

}  // namespace weir::cli
