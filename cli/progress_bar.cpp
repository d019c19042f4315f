#include "cli/progress_bar.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/output.hpp"

namespace weir::cli {

namespace {
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr int kBarCells = 24;

std::string rate_text(double items, double seconds, const std::string& unit) {
  if (seconds <= 0) return "";
  char text[48];
  std::snprintf(text, sizeof text, "%.1f %s/s", items / seconds, unit.c_str());
  return text;
}

std::string duration_text(double seconds) {
  char text[32];
  if (seconds < 60)
    std::snprintf(text, sizeof text, "%.1f s", seconds);
  else
    std::snprintf(text, sizeof text, "%dm%02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  return text;
}

// Cut to `columns` code points, so the line never wraps.
std::string fitted(const std::string& line, std::size_t columns) {
  std::size_t shown = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;
    if (++shown == columns) return line.substr(0, i);
  }
  return line;
}
}  // namespace

ProgressBar::ProgressBar(bool enabled, std::string unit)
    : enabled_(enabled), unit_(std::move(unit)), started_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs("\r\033[K", stderr);  // an import that failed: no half bar left behind
}

void ProgressBar::draw(const std::string& line) {
  auto text = "\r\033[K" + fitted(line, terminal_columns(STDERR_FILENO));
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::update(const ProgressState& state) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_drawn_ < kRedrawEvery) return;
  last_drawn_ = now;
  double elapsed = std::chrono::duration<double>(now - started_).count();
  std::string line;
  if (state.fraction >= 0) {
    double fraction = std::min(1.0, state.fraction);
    int full = static_cast<int>(std::lround(fraction * kBarCells));
    line += "[";
    for (int cell = 0; cell < kBarCells; ++cell) line += cell < full ? "█" : "░";
    char percent[16];
    std::snprintf(percent, sizeof percent, "] %3d%%  ", static_cast<int>(fraction * 100));
    line += percent;
  }
  line += state.detail;
  if (auto rate = rate_text(static_cast<double>(state.items), elapsed, unit_); !rate.empty() && state.items > 0)
    line += "  " + rate;
  if (state.fraction > 0 && state.fraction < 1 && elapsed > 0.5)
    line += "  ETA " + duration_text(elapsed * (1 - state.fraction) / state.fraction);
  draw(line);
}

void ProgressBar::finish(const std::string& summary, uint64_t items) {
  if (!enabled_) return;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string line = summary + " in " + duration_text(elapsed);
  if (auto rate = rate_text(static_cast<double>(items), elapsed, unit_); !rate.empty() && items > 0)
    line += ", " + rate;
  draw(line);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace weir::cli
