#include "cli/spinner.hpp"

#include <chrono>
#include <cstdio>

namespace weir::cli {

namespace {
// Braille frames: one cell wide on every terminal font that has them.
constexpr const char* kFrames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr std::size_t kFrameCount = sizeof(kFrames) / sizeof(kFrames[0]);
}  // namespace

Spinner::Spinner(bool enabled) {
  if (!enabled) {
    stopped_ = true;
    return;
  }
  std::fprintf(stderr, "\r%s", kFrames[0]);
  std::fflush(stderr);
  thread_ = std::thread([this] { run(); });
}

Spinner::~Spinner() { stop(); }

void Spinner::run() {
  std::unique_lock lock(mutex_);
  for (std::size_t frame = 1; !wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
       ++frame) {
    std::fprintf(stderr, "\r%s", kFrames[frame % kFrameCount]);
    std::fflush(stderr);
  }
}

void Spinner::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

}  // namespace weir::cli
